from .atoc import DingATOC
from .channel import AttentionChannel, BiLSTMChannel, integrate_groups
from .gate import RandomGate, decide_initiators
from .grouping import NO_AGENT, communication_structure, count_members, group_mean, group_members
from .atoc_mappo import ATOCMAVAC
