"""Zoo architectures."""

from eegzoo.models.eegnet import EEGNet
from eegzoo.models.fbcnet import FBCNet
from eegzoo.models.fblightconvnet import FBLightConvNet
from eegzoo.models.shallowfbcspnet import ShallowFBCSPNet

__all__ = ["EEGNet", "FBCNet", "FBLightConvNet", "ShallowFBCSPNet"]
