"""
ding_atoc: ATOC (attentional communication, Jiang & Lu 2018) for DI-engine.

Importing the package registers the policy ``ding_atoc`` (and ``ding_atoc_command``) in ``POLICY_REGISTRY`` and
the model ``ding_atoc`` in ``MODEL_REGISTRY``, and ATOC's communication for MAPPO: the policy ``ding_atoc_mappo``
(and ``ding_atoc_mappo_command``) and its model ``ding_atoc_mappo``. DI-engine's own ``atoc`` stays registered as a
baseline.
"""
from . import model, policy
from .model import ATOCMAVAC, DingATOC
from .policy import ATOCMAPPOCommandModePolicy, ATOCMAPPOPolicy, DingATOCCommandModePolicy, DingATOCPolicy

__version__ = '0.1.0'
