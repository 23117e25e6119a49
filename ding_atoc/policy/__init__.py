from .atoc import STRUCTURE_KEYS, DingATOCCommandModePolicy, DingATOCPolicy
