"""Specification of the DingATOC policy: registration, structure persistence, dQ, learning, checkpoints."""
import copy

import pytest
import torch
from ding.envs import BaseEnvTimestep
from ding.utils import MODEL_REGISTRY, POLICY_REGISTRY

import ding_atoc  # noqa: F401  (registers the policy and model)
from ding_atoc.model import NO_AGENT
from ding_atoc.policy import DingATOCPolicy
from ding_atoc.policy.atoc import STRUCTURE_KEYS
from tests.conftest import DEVICES
from tests.core.helpers import force_initiators, make_policy, random_obs

N_AGENT, OBS = 5, 6


def test_registered_beside_dingengines_own_atoc():
    assert POLICY_REGISTRY.get('ding_atoc') is DingATOCPolicy
    assert issubclass(POLICY_REGISTRY.get('ding_atoc_command'), DingATOCPolicy)
    assert MODEL_REGISTRY.get('ding_atoc') is ding_atoc.DingATOC
    import ding.policy.atoc  # noqa: F401
    assert POLICY_REGISTRY.get('atoc').__module__ == 'ding.policy.atoc'


def collect_transitions(policy, steps, n_env=2, field=3):
    transitions = []
    obs = {env: random_obs(N_AGENT, OBS, field=field) for env in range(n_env)}
    for _ in range(steps):
        output = policy.collect_mode.forward(obs)
        next_obs = {env: random_obs(N_AGENT, OBS, field=field) for env in range(n_env)}
        for env in obs:
            timestep = BaseEnvTimestep(next_obs[env], torch.tensor([1.0]), torch.tensor(False), {})
            transitions.append(policy.collect_mode.process_transition(obs[env], output[env], timestep))
        obs = next_obs
    return transitions


@pytest.mark.parametrize('comm_interval', [1, 3])
def test_structure_lasts_comm_interval_steps_and_resets_at_episode_end(comm_interval):
    policy = make_policy(comm_interval=comm_interval, collect=dict(sample_initiators=False))
    force_initiators(policy._model, True)
    groups = []
    for _ in range(2 * comm_interval):
        groups.append(policy.collect_mode.forward({0: random_obs(N_AGENT, OBS, field=4)})[0]['group'])
    for step in range(1, 2 * comm_interval):
        same = torch.equal(groups[step], groups[step - 1])
        assert same == (step % comm_interval != 0), step
    policy.collect_mode.reset([0])
    fresh_obs = random_obs(N_AGENT, OBS, field=4)
    after_reset = policy.collect_mode.forward({0: fresh_obs})[0]['group']
    expected = policy._model.compute_structure({'obs': {k: v.unsqueeze(0) for k, v in fresh_obs.items()}})
    assert torch.equal(after_reset, expected['group'][0])


def test_eval_thresholds_and_adds_no_noise():
    policy = make_policy()
    obs = {0: random_obs(N_AGENT, OBS, field=3)}
    force_initiators(policy._model, False)
    first = policy.eval_mode.forward(obs)[0]
    assert not first['initiator'].any()
    policy.eval_mode.reset([0])
    assert torch.equal(policy.eval_mode.forward(obs)[0]['action'], first['action'])


def test_collect_samples_initiators_from_the_attention_unit():
    policy = make_policy(comm_interval=1)
    obs = {env: random_obs(N_AGENT, OBS, field=3) for env in range(50)}
    share = torch.stack([out['initiator'] for out in policy.collect_mode.forward(obs).values()]).float().mean()
    prob = policy._model.compute_structure({'obs': {k: torch.stack([o[k] for o in obs.values()]) for k in obs[0]}})
    assert abs(share - prob['initiator_prob'].mean()) < 0.1  # Bernoulli(p_i), not a threshold


class LinearCritic(torch.nn.Module):
    """Q(o, a) = sum of the action: a crafted critic that prefers larger actions."""

    def __init__(self, action_shape):
        super().__init__()
        self.action_shape = action_shape

    def forward(self, x):
        return x[..., -self.action_shape:].sum(dim=-1, keepdim=True)


class ShiftChannel(torch.nn.Module):

    def __init__(self, shift):
        super().__init__()
        self.shift = shift

    def forward(self, sequence, length):
        return sequence + self.shift


@pytest.mark.parametrize('shift,sign', [(1.0, 1), (-1.0, -1)])
def test_dq_sign_follows_the_value_of_communication(shift, sign):
    # mu_II reads only the integrated thought; the channel moves thoughts by ``shift``; Q grows with the action.
    policy = make_policy(thought_size=2, action_shape=2, comm_interval=1, collect=dict(sample_initiators=False))
    model = policy._model
    force_initiators(model, True)
    head = torch.nn.Linear(4, 2)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[0., 0., 1., 0.], [0., 0., 0., 1.]]))
        head.bias.zero_()
    model.actor['head'] = torch.nn.Sequential(head, torch.nn.Tanh())
    model.actor['channel'] = ShiftChannel(shift)
    model.critic = torch.nn.Sequential(LinearCritic(2))  # the critic is a stack whose last layer gives Q
    policy.collect_mode.forward({0: random_obs(N_AGENT, OBS, field=4)})
    queue = policy._gain_queue
    assert len(queue) == N_AGENT  # every agent initiated and formed a group
    assert (torch.sign(queue._gain[:len(queue)]) == sign).all()


def test_a_critic_reading_the_integrated_thought_scores_both_actions_of_dq_under_the_same_thought():
    # Q = sum of h~ only: the messages move h~ (and the action), so dQ is 0 only if both terms read the same h~.
    policy = make_policy(thought_size=2, comm_interval=1, collect=dict(sample_initiators=False),
                         model=dict(critic_integrated_thought=True))
    model = policy._model
    force_initiators(model, True)
    model.actor['channel'] = ShiftChannel(1.0)
    model.critic = torch.nn.Sequential(LinearCritic(2))  # reads the last 2 inputs: h~
    policy.collect_mode.forward({0: random_obs(N_AGENT, OBS, field=4)})
    queue = policy._gain_queue
    assert len(queue) == N_AGENT
    assert torch.equal(queue._gain[:len(queue)], torch.zeros(N_AGENT))


def test_dq_pairs_are_pushed_once_per_structure():
    policy = make_policy(comm_interval=4)
    force_initiators(policy._model, True)
    obs = {0: random_obs(N_AGENT, OBS, field=4)}
    for _ in range(4):
        policy.collect_mode.forward(obs)
    assert len(policy._gain_queue) == N_AGENT
    policy.collect_mode.forward(obs)
    assert len(policy._gain_queue) == 2 * N_AGENT


def parameters(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module):
    return any(not torch.equal(b, p) for b, p in zip(before, module.parameters()))


@pytest.mark.parametrize('critic', [{}, dict(critic_integrated_thought=True), dict(critic_field_obs=2)],
                         ids=['local', 'integrated_thought', 'field_obs'])
def test_learn_step_trains_actor_and_critic_and_attention_only_from_its_queue(critic):
    policy = make_policy(learn=dict(batch_size=16, attention_batch_size=8), model=critic)
    model = policy._model
    batch = collect_transitions(policy, 8)[:16]
    policy._gain_queue = type(policy._gain_queue)(100, OBS)  # empty D: the attention unit must not move
    attention, actor, critic = parameters(model.attention_unit), parameters(model.actor), parameters(model.critic)
    info = policy.learn_mode.forward(batch)
    assert changed(actor, model.actor) and changed(critic, model.critic)
    assert not changed(attention, model.attention_unit)
    assert info['attention_loss'] == 0.0
    for key in policy._monitor_vars_learn():
        assert key in info and torch.isfinite(torch.tensor(float(info[key]))), key

    policy._gain_queue.push(torch.randn(10, OBS), torch.randn(10))
    encoder = parameters(model.actor['encoder'])
    loss = policy._train_attention_unit()
    assert changed(attention, model.attention_unit)
    assert not changed(encoder, model.actor['encoder'])
    assert loss > 0


def test_attention_target_is_min_max_normalised_and_constant_dq_gives_no_nan():
    policy = make_policy()
    queue = policy._gain_queue
    queue.push(torch.randn(3, OBS), torch.tensor([-2.0, 0.0, 2.0]))
    _, target = queue.sample(200)
    assert set(target.unique().tolist()) == {0.0, 0.5, 1.0}
    constant = type(queue)(10, OBS)
    constant.push(torch.randn(4, OBS), torch.zeros(4))
    policy._gain_queue = constant
    _, target = constant.sample(8)
    assert torch.equal(target, torch.full((8, ), 0.5))
    assert torch.isfinite(torch.tensor(policy._train_attention_unit()))


def test_batch_without_initiators_learns_without_nan():
    policy = make_policy(learn=dict(batch_size=8))
    force_initiators(policy._model, False)
    policy._cfg.collect.sample_initiators = False
    batch = collect_transitions(policy, 4)
    assert all((t['group_round'] == NO_AGENT).all() for t in batch)
    info = policy.learn_mode.forward(batch)
    assert info['initiator_share'] == 0.0 and info['mean_group_size'] == 0.0
    assert all(torch.isfinite(torch.tensor(float(info[k]))) for k in ('critic_loss', 'actor_loss'))


def test_no_communication_ablation_acts_on_its_own_thought():
    policy = make_policy(model=dict(communication=False))
    force_initiators(policy._model, True)  # even an eager attention unit cannot make it communicate
    obs = {env: random_obs(N_AGENT, OBS, field=4) for env in range(3)}
    output = policy.collect_mode.forward(obs)
    assert all(not out['initiator'].any() and (out['group'] == NO_AGENT).all() for out in output.values())
    evaluation = policy.eval_mode.forward(obs)
    stacked = {k: torch.stack([o[k] for o in obs.values()]) for k in obs[0]}
    actor = policy._model.compute_actor({'obs': stacked, **policy._model.compute_structure({'obs': stacked})})
    assert torch.equal(actor['action'], policy._model.action_without_communication(actor['thought']))
    assert torch.allclose(torch.stack([evaluation[e]['action'] for e in obs]), actor['action'])
    assert len(policy._gain_queue) == 0
    assert 'actor_loss' in policy.learn_mode.forward(collect_transitions(policy, 4))


def test_checkpoint_round_trip_restores_every_optimiser_and_the_dq_queue():
    policy = make_policy(learn=dict(batch_size=8, attention_batch_size=4))
    policy._gain_queue.push(torch.randn(6, OBS), torch.randn(6))
    for _ in range(2):
        policy.learn_mode.forward(collect_transitions(policy, 4))
    state = copy.deepcopy(policy.learn_mode.state_dict())
    assert {'optimizer_actor', 'optimizer_critic', 'optimizer_attention', 'dq_queue'} <= set(state)
    restored = make_policy(learn=dict(batch_size=8, attention_batch_size=4))
    restored.learn_mode.load_state_dict(state)
    for key in ('optimizer_actor', 'optimizer_critic', 'optimizer_attention'):
        ours, theirs = policy.learn_mode.state_dict()[key], restored.learn_mode.state_dict()[key]
        assert all(torch.equal(ours['state'][i]['exp_avg'], theirs['state'][i]['exp_avg']) for i in ours['state'])
    assert len(restored._gain_queue) == len(policy._gain_queue)
    obs = {0: random_obs(N_AGENT, OBS, field=3)}
    assert torch.equal(policy.eval_mode.forward(obs)[0]['action'], restored.eval_mode.forward(obs)[0]['action'])


@pytest.mark.parametrize('device', DEVICES)
def test_cuda_flag_runs_on_the_gpu_or_falls_back_to_the_cpu(device):
    policy = make_policy(cuda=device == 'cuda', learn=dict(batch_size=8))
    expected = 'cuda' if device == 'cuda' else 'cpu'
    assert next(policy._model.parameters()).device.type == expected
    info = policy.learn_mode.forward(collect_transitions(policy, 4))
    assert torch.isfinite(torch.tensor(info['critic_loss']))


@pytest.mark.parametrize('overrides,message', [
    (dict(comm_interval=0), 'comm_interval must be an integer >= 1'),
    (dict(random_collect_size=100), 'random_collect_size must be 0'),
    (dict(learn=dict(attention_queue_size=0)), 'attention_queue_size'),
    (dict(learn=dict(action_preactivation_penalty=-1e-3)), 'action_preactivation_penalty must be a finite number >= 0'),
    (dict(learn=dict(action_preactivation_penalty=float('nan'))), 'action_preactivation_penalty'),
])
def test_bad_policy_config_fails_at_construction(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_policy(**overrides)


def test_communication_stats_count_initiators_and_group_sizes():
    policy = make_policy(comm_interval=1, model=dict(group_size=2))
    force_initiators(policy._model, True)
    obs = {0: random_obs(N_AGENT, OBS, field=4), 1: random_obs(N_AGENT, OBS, field=4)}
    policy.eval_mode.forward(obs)
    policy.eval_mode.forward(obs)
    stats = policy.pop_communication_stats('eval')
    groups = 2 * 2 * N_AGENT  # 2 steps x 2 envs x every agent leads a group of 3
    assert stats == {
        'initiator_share': 1.0, 'groups_formed': groups, 'mean_group_size': 3.0,
        'messages_sent': 3 * groups, 'messages_delivered': 3 * groups, 'messages_dropped': 0.0
    }
    assert policy.pop_communication_stats('eval')['initiator_share'] == 0.0  # popped
    force_initiators(policy._model, False)
    policy._cfg.collect.sample_initiators = False
    policy.collect_mode.forward(obs)
    assert set(policy.pop_communication_stats('collect').values()) == {0.0}


def test_initiate_all_ablation_makes_every_agent_an_initiator_and_skips_dq():
    policy = make_policy(comm_interval=1, model=dict(initiate_all=True, group_size=2))
    force_initiators(policy._model, False)  # the attention unit would say no: it is not consulted
    obs = {env: random_obs(N_AGENT, OBS, field=4) for env in range(2)}
    for output in (policy.collect_mode.forward(obs), policy.eval_mode.forward(obs)):
        assert all(out['initiator'].all() and (out['group_round'] != NO_AGENT).all() for out in output.values())
    assert len(policy._gain_queue) == 0


def test_a_diverging_run_stops_with_an_error_that_says_where():
    policy = make_policy(learn=dict(batch_size=8))
    batch = collect_transitions(policy, 4)
    for transition in batch:
        transition['reward'] = torch.tensor([float('nan')])
    with pytest.raises(FloatingPointError, match='critic_loss is nan at learn step 1'):
        policy.learn_mode.forward(batch)


def saturate_actor(model, bias=8.0):
    """Push mu_II's last layer so that every action component sits at tanh(8) = 0.99999977 whatever the input."""
    last = [m for m in model.actor['head'].modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.mul_(0.01)
        last.bias.fill_(bias)


@pytest.mark.parametrize('penalty', [0.0, 1e-3, 1e-1])
def test_the_preactivation_penalty_adds_exactly_c_mean_u_squared_to_the_actor_loss(penalty):
    torch.manual_seed(0)
    policy = make_policy(learn=dict(batch_size=16, action_preactivation_penalty=penalty))
    batch = collect_transitions(policy, 8)[:16]
    plain = make_policy(learn=dict(batch_size=16))
    plain.learn_mode.load_state_dict(policy.learn_mode.state_dict())  # the same weights, targets and optimisers
    data = policy._stacked_batch(batch)
    structure = {key: data[key] for key in STRUCTURE_KEYS}
    actor = policy._model.compute_actor({'obs': data['obs'], **structure})
    expected = penalty * actor['action_preactivation'].pow(2).mean().item()
    info, plain_info = policy.learn_mode.forward(batch), plain.learn_mode.forward(batch)
    # the critic step comes first and is the same for both, so the actor losses differ by the penalty alone
    assert info['critic_loss'] == pytest.approx(plain_info['critic_loss'])
    assert info['actor_loss'] - plain_info['actor_loss'] == pytest.approx(expected, rel=1e-4, abs=1e-7)


@pytest.mark.parametrize('penalty,recovers', [(0.0, False), (1e-1, True)])
def test_a_saturated_actor_recovers_under_the_penalty_and_stays_at_the_bound_without(penalty, recovers):
    torch.manual_seed(0)
    policy = make_policy(learn=dict(batch_size=16, action_preactivation_penalty=penalty, learning_rate_actor=1e-2))
    saturate_actor(policy._model)
    batch = collect_transitions(policy, 8)[:16]
    assert policy.learn_mode.forward(batch)['action_saturated_share'] == 1.0
    for _ in range(60):
        info = policy.learn_mode.forward(batch)
    assert (info['action_saturated_share'] < 0.5) == recovers
