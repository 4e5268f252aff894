"""Zoo architectures, one module per class (``eegzoo.models.<class name in lower case>``).

Classes load on first use (PEP 562), so importing one architecture does not import the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# braindecode's class names; each lives in the module of the same name in lower case
_CLASSES = (
    "ATCNet", "CTNet", "Deep4Net", "EEGConformer", "EEGNeX", "EEGNet", "EEGTCNet", "FBCNet",
    "FBLightConvNet", "IFNet", "ShallowFBCSPNet", "TCFormer",
)

__all__ = list(_CLASSES)


def __getattr__(name: str) -> Any:
    if name not in _CLASSES:
        raise AttributeError(f"module 'eegzoo.models' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"eegzoo.models.{name.lower()}")
    except ModuleNotFoundError as err:
        if err.name != f"eegzoo.models.{name.lower()}":
            raise
        raise AttributeError(f"eegzoo.models.{name} is not available in this build") from None
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_CLASSES])


if TYPE_CHECKING:
    from eegzoo.models.atcnet import ATCNet
    from eegzoo.models.ctnet import CTNet
    from eegzoo.models.deep4net import Deep4Net
    from eegzoo.models.eegconformer import EEGConformer
    from eegzoo.models.eegnex import EEGNeX
    from eegzoo.models.eegnet import EEGNet
    from eegzoo.models.eegtcnet import EEGTCNet
    from eegzoo.models.fbcnet import FBCNet
    from eegzoo.models.fblightconvnet import FBLightConvNet
    from eegzoo.models.ifnet import IFNet
    from eegzoo.models.shallowfbcspnet import ShallowFBCSPNet
    from eegzoo.models.tcformer import TCFormer
