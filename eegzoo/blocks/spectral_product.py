"""The product of complex spectra that autograd differentiates, safe under ``torch.compile``.

Autograd saves ``conj(a)`` for the gradient of a complex product ``a * b``. torch 2.13's
inductor, when it lays that saved tensor out in another memory order (channels-last, for a
convolution further on, as EEGNet's pointwise one), copies it without the conjugate bit, and
``b``'s gradient comes out silently wrong (``tests/test_compile.py``). Under compilation the
product is therefore taken from the real and imaginary parts as real tensors, which leave
nothing to lose; eager keeps the (faster) complex product.
"""

from __future__ import annotations

import torch


def spectral_product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a * b`` of complex spectra (broadcast); in real arithmetic under ``torch.compile``."""
    if torch.compiler.is_compiling():
        return real_arithmetic_product(a, b)
    return a * b


def real_arithmetic_product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a * b`` from the real and imaginary parts (``view_as_real``), so that autograd saves
    real tensors only, no conjugate views."""
    a_parts, b_parts = torch.view_as_real(a), torch.view_as_real(b)
    a_re, a_im = a_parts[..., 0], a_parts[..., 1]
    b_re, b_im = b_parts[..., 0], b_parts[..., 1]
    return torch.complex(a_re * b_re - a_im * b_im, a_re * b_im + a_im * b_re)
