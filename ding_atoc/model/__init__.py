from .atoc import DingATOC
from .channel import AttentionChannel, BiLSTMChannel, integrate_groups
from .grouping import NO_AGENT, communication_structure, group_mean, group_members
