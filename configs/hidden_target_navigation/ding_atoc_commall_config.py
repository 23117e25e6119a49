"""
ding_atoc communicating with everyone in range on hidden target navigation: the ablation without the attention unit
(``model.initiate_all=True``: every agent is an initiator at every step, ``comm_interval=1``, and groups with all
agents of its observable field, its partner); no dQ is computed and the attention unit is not trained. Everything else
is this folder's ``ding_atoc_config.py``. Team size: change ``n_agent`` below.
"""
from easydict import EasyDict

from dizoo_envs.hidden_target_navigation import HiddenTargetNavigationEnv

n_agent = 6  # (int) agents A (also the number of targets)
n_nearest = 2  # (int) K: nearest agents and landmarks in each local observation
collector_env_num = 8  # (int) envs collected from together: 8 x 50 steps = one episode each per collection of 400
evaluator_env_num = 4

env_config = dict(
    n_agent=n_agent,
    n_nearest=n_nearest,
    max_cycles=50,
    continuous_actions=True,
    # The observable field that ATOC groups within: the partner, always in it, and no other agent (k=0).
    observable_field=dict(type='k_nearest', k=0),
    # Per-agent rewards of shape (A,); eval_episode_return stays the team reward's sum.
    reward_type='local',
    # global_state (A, D + 2 + G): each agent's observation, its own target (privileged), the global state.
    agent_specific_global_state=True,
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
# Model widths of this env config (D = velocity, position, K agents, client's target, K landmarks; action 2).
shapes = HiddenTargetNavigationEnv.obs_shapes(env_config)
obs_shape = shapes['agent_obs_shape']
action_shape = shapes['action_shape']
global_obs_shape = shapes['agent_specific_global_obs_shape']

main_config = dict(
    exp_name='hidden_target_navigation_ding_atoc_commall',
    # (int) Env-step budget of ``ding-atoc train`` when no --env-step is given.
    max_env_step=200000,
    env=env_config,
    policy=dict(
        cuda=True,
        # (int) T: steps a communication structure lasts.
        comm_interval=1,
        model=dict(
            obs_shape=obs_shape,
            action_shape=action_shape,
            n_agent=n_agent,
            global_obs_shape=global_obs_shape,
            # (int) Size of a thought; even (BiLSTM channel).
            thought_size=64,
            # (int) m: collaborators per initiator, within the observable field (the partner; 2 in an odd cycle).
            group_size=2,
            # (float) p_i above this makes agent i an initiator.
            initiator_threshold=0.5,
            # (bool) The critic also reads global_state, where each agent's own target is: a critic of o_i alone
            # cannot value a move towards a target o_i does not show.
            critic_use_global_state=True,
            # (bool) False: the no-communication ablation.
            communication=True,
            # (bool) Every agent initiates at every decision, ignoring the attention unit.
            initiate_all=True,
        ),
        learn=dict(
            update_per_collect=40,
            batch_size=64,
            learning_rate_actor=1e-3,
            learning_rate_critic=1e-3,
            # (float) Learning rate of the attention unit's own optimiser.
            learning_rate_attention=1e-3,
            # (int) (observation, dQ) pairs per attention-unit step.
            attention_batch_size=64,
            # (int) Capacity of the dQ queue D.
            attention_queue_size=10000,
            discount_factor=0.95,
            target_theta=0.01,
            ignore_done=True,
        ),
        collect=dict(
            n_sample=400,
            noise_sigma=0.1,
            # (bool) Sample initiators from Bernoulli(p_i) while collecting.
            sample_initiators=True,
        ),
        eval=dict(evaluator=dict(eval_freq=200, ), ),
        other=dict(replay_buffer=dict(replay_buffer_size=100000, ), ),
    ),
)
main_config = EasyDict(main_config)
create_config = dict(
    env=dict(
        # dizoo_envs.batched registers the batched env that `ding-atoc train` collects with.
        import_names=['dizoo_envs.hidden_target_navigation', 'dizoo_envs.batched'],
        type='hidden_target_navigation',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding_atoc.policy'],
        type='ding_atoc',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/hidden_target_navigation/ding_atoc_commall_config.py -s 0 --env-step 200000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
