"""
ding_atoc_mappo on predator-prey: DI-engine's MAPPO with ATOC's communication in the actor (policy
``ding_atoc_mappo``): 5 learning predators with discrete actions (5 MPE moves) chase 2 faster scripted prey for 25
steps, one shared team reward; each predator groups within its K nearest predators. The PPO values are those of
cooperative navigation's ``mappo_config.py`` (DI-engine's MAPPO), the env, team size and budget those of this
folder's ``ding_atoc_config.py``, the value head reads the agent-specific global state. Set
``model.communication=False`` for the no-communication ablation (MAPPO with this actor; this folder's
``mappo_config.py``, DI-engine's MAPPO, is on the paper's task of 20 predators). Runs with ``serial_pipeline_onpolicy`` (``ding -m serial_onpolicy``). Team size: change
``n_agent`` (and ``n_prey``) below.
"""
from easydict import EasyDict

from dizoo_envs.predator_prey import PredatorPreyEnv

n_agent = 5  # (int) predators A (the learning agents)
n_prey = 2  # (int) scripted prey P
n_nearest = 2  # (int) K: nearest predators and prey in each local observation
collector_env_num = 4
evaluator_env_num = 4

env_config = dict(
    n_agent=n_agent,
    n_prey=n_prey,
    n_nearest=n_nearest,
    max_cycles=25,
    agent_obs_only=False,
    agent_specific_global_state=True,
    continuous_actions=False,
    # The observable field that ATOC groups within: each agent sees its K nearest agents.
    observable_field=dict(type='k_nearest', k=n_nearest),
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=int(1e9),  # rewards are positive when prey is caught: never stop on the return
)
shapes = PredatorPreyEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='predator_prey_ding_atoc_mappo',
    max_env_step=60000,
    env=env_config,
    policy=dict(
        cuda=True,
        multi_agent=True,
        action_space='discrete',
        # (int) T: steps a communication structure lasts before the gates decide again.
        comm_interval=15,
        model=dict(
            action_space='discrete',
            agent_num=shapes['agent_num'],
            agent_obs_shape=shapes['agent_obs_shape'],
            global_obs_shape=shapes['agent_specific_global_obs_shape'],
            action_shape=shapes['action_shape'],
            # (int) Size of a thought h_i.
            thought_size=64,
            # (int) Size of a message.
            message_size=32,
            # (int) m: collaborators per initiator, within the observable field.
            group_size=2,
            # (str) 'attention' (scaled dot product over the messages heard) or 'bilstm' (the BiLSTM channel).
            channel='attention',
            # (str) 'policy': the gate's decision is part of the action PPO learns; 'gain': the paper's classifier.
            gate_learning='policy',
            # (float) p every agent's gate starts at: open, so the messages are learned before the gate judges them.
            gate_init_prob=0.9,
            # (bool) False: the no-communication ablation.
            communication=True,
        ),
        learn=dict(
            epoch_per_collect=5,
            batch_size=400,
            learning_rate=5e-4,
            # (float) The loss weight of value network, policy network weight is set to 1
            value_weight=0.5,
            # (float) The loss weight of entropy regularization (here of the action and the gate's decision)
            entropy_weight=0.01,
            # (float) PPO clip ratio, defaults to 0.2
            clip_ratio=0.2,
            # (bool) Whether to use advantage norm in a whole training batch
            adv_norm=False,
            value_norm=True,
            ppo_param_init=True,
            grad_clip_type='clip_norm',
            grad_clip_value=10,
            ignore_done=False,
        ),
        collect=dict(
            n_sample=800,
            unroll_len=1,
            # (bool) Sample the gates from Bernoulli(p_i) while collecting (needed by gate_learning='policy').
            sample_initiators=True,
        ),
        eval=dict(evaluator=dict(eval_freq=100, ), ),
        other=dict(),
    ),
)
main_config = EasyDict(main_config)
create_config = dict(
    env=dict(
        import_names=['dizoo_envs.predator_prey', 'dizoo_envs.batched'],
        type='predator_prey',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding_atoc.policy'],
        type='ding_atoc_mappo',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial_onpolicy -c configs/predator_prey/ding_atoc_mappo_config.py -s 0 --env-step 60000
    from ding.entry import serial_pipeline_onpolicy
    serial_pipeline_onpolicy((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
