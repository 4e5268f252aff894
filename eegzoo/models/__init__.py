"""Zoo architectures."""

from eegzoo.models.fblightconvnet import FBLightConvNet

__all__ = ["FBLightConvNet"]
