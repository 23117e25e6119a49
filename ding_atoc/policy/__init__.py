from .atoc import STRUCTURE_KEYS, DingATOCCommandModePolicy, DingATOCPolicy
from .atoc_mappo import ATOCMAPPOCommandModePolicy, ATOCMAPPOPolicy
