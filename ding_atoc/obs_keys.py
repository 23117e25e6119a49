"""
Overview:
    The observation keys of the data contract between ``dizoo_envs`` environments and ``ding_atoc``.
    Named once here so that the environments, the model and the tests agree.
"""

#: float32 (A, D): each agent's local observation.
AGENT_STATE = 'agent_state'
#: float32 (G,) or (A, G): the global state, for centralized critics.
GLOBAL_STATE = 'global_state'
#: (A, n_actions): legal discrete actions.
ACTION_MASK = 'action_mask'
#: float32 (A, A): distance from agent i (row) to agent j (column); ``inf`` outside i's observable field
#: and on the diagonal. The grouping of ding_atoc reads it to choose collaborators.
AGENT_DISTANCE = 'agent_distance'
