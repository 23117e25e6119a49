"""Specification of ding_atoc_mappo: ATOC's communication in DI-engine's MAPPO (model ATOCMAVAC, policy on PPO)."""
import copy

import pytest
import torch
import treetensor.torch as ttorch
from ding.envs import BaseEnvTimestep
from ding.torch_utils import to_dtype
from ding.utils import MODEL_REGISTRY, POLICY_REGISTRY, deep_merge_dicts
from ding.utils.data import default_collate
from easydict import EasyDict

import ding_atoc  # noqa: F401  (registers the policy and model)
from ding_atoc.model import NO_AGENT
from ding_atoc.model.atoc_mappo import (COMM_CHANNEL_STATE, COMM_GATE, COMM_GATE_DECIDED, COMM_GROUP, COMM_GROUP_ROUND,
                                        IMPOSSIBLE, ATOCMAVAC)
from ding_atoc.policy.atoc_mappo import ATOCMAPPOPolicy
from tests.conftest import DEVICES
from tests.core.helpers import random_obs

OBS, GLOBAL = 6, 7
ACTION_SHAPE = {'discrete': 5, 'continuous': 2}
ACTION_SPACES = ['discrete', 'continuous']
TEAM_SIZES = [3, 6]

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


def model_config(n_agent, action_space, **overrides):
    config = dict(
        agent_obs_shape=OBS, global_obs_shape=GLOBAL, action_shape=ACTION_SHAPE[action_space], agent_num=n_agent,
        action_space=action_space, thought_size=8, message_size=6, gate_hidden_size=8, actor_head_hidden_size=16,
        critic_head_hidden_size=16, group_size=2
    )
    config.update(overrides)
    return config


def make_model(n_agent=5, action_space='discrete', **overrides):
    return ATOCMAVAC(**model_config(n_agent, action_space, **overrides))


def make_policy(n_agent=5, action_space='discrete', model=None, enable_field=None, **overrides):
    config = dict(action_space=action_space, model={**model_config(n_agent, action_space), **(model or {})})
    cfg = deep_merge_dicts(ATOCMAPPOPolicy.default_config(), deep_merge_dicts(config, overrides))
    return ATOCMAPPOPolicy(EasyDict(cfg), enable_field=enable_field)


def env_obs(n_agent, action_space='discrete', batch=None, field=2):
    """One env's observation (or a batch of them): local state, global state, action mask, observable fields."""
    obs = random_obs(n_agent, OBS, batch=batch, field=field)
    shape = () if batch is None else (batch, )
    obs['global_state'] = torch.randn(*shape, n_agent, GLOBAL)
    obs['action_mask'] = torch.ones(*shape, n_agent, ACTION_SHAPE[action_space])
    return obs


def set_gate(model, logit):
    """Make the gate say p = sigmoid(logit) for every thought."""
    last = [m for m in model.actor['gate'].modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(logit)


def fixed_structure(batch, n_agent, groups, device='cpu'):
    """``COMM_KEYS`` of a hand-made structure: ``groups`` maps a leader to its collaborators (rounds in order)."""
    group = torch.full((batch, n_agent, 3), NO_AGENT, dtype=torch.long)
    group_round = torch.full((batch, n_agent), NO_AGENT, dtype=torch.long)
    for round_, (leader, members) in enumerate(groups.items()):
        group[:, leader, :1 + len(members)] = torch.tensor([leader] + members)
        group_round[:, leader] = round_
    comm = {
        COMM_GROUP: group,
        COMM_GROUP_ROUND: group_round,
        COMM_GATE: torch.zeros(batch, n_agent, dtype=torch.bool),
        COMM_GATE_DECIDED: torch.zeros(batch, dtype=torch.bool),
    }
    return {key: value.to(device) for key, value in comm.items()}


def action_output(output, action_space):
    """The env action's distribution as one tensor: logits, or mu and sigma side by side."""
    logit = output['action_logit']
    return logit if action_space == 'discrete' else torch.cat([logit['mu'], logit['sigma']], dim=-1)


def test_registered_with_its_command_twin():
    assert POLICY_REGISTRY.get('ding_atoc_mappo') is ATOCMAPPOPolicy
    assert issubclass(POLICY_REGISTRY.get('ding_atoc_mappo_command'), ATOCMAPPOPolicy)
    assert MODEL_REGISTRY.get('ding_atoc_mappo') is ATOCMAVAC
    assert make_policy(enable_field=['learn'])._model.__class__ is ATOCMAVAC  # PPO's default model is replaced


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('channel', ['attention', 'bilstm'])
@pytest.mark.parametrize('gate_learning', ['policy', 'gain'])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
@pytest.mark.parametrize('n_agent', TEAM_SIZES)
def test_output_shapes(n_agent, action_space, gate_learning, channel, device):
    model = make_model(n_agent, action_space, channel=channel, gate_learning=gate_learning).to(device)
    batch, n_action = 4, ACTION_SHAPE[action_space]
    obs = {key: value.to(device) for key, value in env_obs(n_agent, action_space, batch=batch).items()}
    output = model(obs, 'compute_actor_critic', sample_gate=True)
    assert output['value'].shape == (batch, n_agent)
    assert output['gate_prob'].shape == output[COMM_GATE].shape == (batch, n_agent)
    assert output[COMM_GROUP].shape == (batch, n_agent, 3) and output[COMM_GATE_DECIDED].shape == (batch, )
    if action_space == 'discrete':
        assert output['action_logit'].shape == (batch, n_agent, n_action)
        joint = gate_learning == 'policy'  # a categorical over (gate, action)
        assert output['logit'].shape == (batch, n_agent, 2 * n_action if joint else n_action)
    else:
        assert output['action_logit']['mu'].shape == output['action_logit']['sigma'].shape == (batch, n_agent, n_action)
        if gate_learning == 'policy':
            assert output['logit']['action_type'].shape == (batch, n_agent, 2)
            assert output['logit']['action_args']['mu'].shape == (batch, n_agent, n_action)
        else:
            assert output['logit']['mu'].shape == (batch, n_agent, n_action)
    assert model(obs, 'compute_critic')['value'].shape == (batch, n_agent)
    assert all(t.device.type == device for t in (output['value'], output['gate_prob'], output[COMM_GROUP]))


def test_gate_is_sampled_when_asked_and_thresholded_otherwise():
    model = make_model(5)
    set_gate(model, 0.4)  # p = 0.6 for every agent, above the threshold 0.5
    obs = env_obs(5, batch=400)
    thresholded = model.compute_actor(obs)[COMM_GATE]
    sampled = model.compute_actor(obs, sample_gate=True)[COMM_GATE]
    assert thresholded.all()
    assert abs(sampled.float().mean().item() - torch.sigmoid(torch.tensor(0.4)).item()) < 0.05
    set_gate(model, -0.4)
    assert not model.compute_actor(obs)[COMM_GATE].any()


@pytest.mark.parametrize('channel', ['attention', 'bilstm'])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
@pytest.mark.parametrize('device', DEVICES)
def test_an_agent_hearing_nobody_gets_exactly_its_own_state_result(device, action_space, channel):
    model = make_model(5, action_space, channel=channel).to(device)
    ablation = copy.deepcopy(model)
    ablation.communication = False
    obs = {key: value.to(device) for key, value in env_obs(5, action_space, batch=3).items()}
    structure = fixed_structure(3, 5, {0: [1], 2: [3]}, device)  # agent 4 hears nobody
    with_comm = action_output(model.compute_actor({**obs, **structure}), action_space)
    alone = action_output(ablation.compute_actor(obs), action_space)
    assert torch.equal(with_comm[:, 4], alone[:, 4])
    assert not torch.allclose(with_comm[:, 0], alone[:, 0])  # the members' messages do change their result


@pytest.mark.parametrize('channel', ['attention', 'bilstm'])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_absent_senders_do_not_change_the_output(action_space, channel):
    model = make_model(5, action_space, channel=channel)
    obs = env_obs(5, action_space, batch=3)
    structure = fixed_structure(3, 5, {0: [1], 2: [3]})
    before = action_output(model.compute_actor({**obs, **structure}), action_space)
    changed = {**obs, 'agent_state': obs['agent_state'].clone()}
    changed['agent_state'][:, 2:] += torch.randn(3, 3, OBS)  # agents 2, 3, 4 are in no group of agents 0 and 1
    after = action_output(model.compute_actor({**changed, **structure}), action_space)
    assert torch.equal(after[:, :2], before[:, :2])
    assert not torch.allclose(after[:, 2:], before[:, 2:])


@pytest.mark.parametrize('channel', ['attention', 'bilstm'])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
@pytest.mark.parametrize('device', DEVICES)
def test_gradients_reach_the_message_path_only_through_members(device, action_space, channel):
    model = make_model(6, action_space, channel=channel).to(device)
    obs = {key: value.to(device) for key, value in env_obs(6, action_space, batch=2).items()}
    obs['agent_state'].requires_grad_(True)
    structure = fixed_structure(2, 6, {0: [1, 2], 3: [4]}, device)  # agent 5 alone
    for agent, members in ((0, {0, 1, 2}), (4, {3, 4}), (5, {5})):
        # a forward per agent: the BiLSTM channel's serial rounds free their graph after one backward
        output = action_output(model.compute_actor({**obs, **structure}), action_space)
        grad, = torch.autograd.grad(output[:, agent].sum(), obs['agent_state'])
        reached = {i for i in range(6) if grad[:, i].abs().sum() > 0}
        assert reached == members, agent


@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_no_communication_ablation_is_the_same_code_without_groups(action_space):
    model = make_model(5, action_space, communication=False)
    set_gate(model, 5.0)  # the gate would open for everyone: the ablation never asks it
    obs = env_obs(5, action_space, batch=3)
    output = model.compute_actor(obs, sample_gate=True)
    assert not output[COMM_GATE].any() and (output[COMM_GROUP] == NO_AGENT).all()
    # PPO learns on the env action alone: the gate's decision is no part of it
    assert action_output({'action_logit': output['logit']}, action_space).shape == \
        action_output(output, action_space).shape
    with_comm = copy.deepcopy(model)
    with_comm.communication = True
    empty = fixed_structure(3, 5, {})
    assert torch.equal(action_output(with_comm.compute_actor({**obs, **empty}), action_space),
                       action_output(output, action_space))
    policy = make_policy(5, action_space, model=dict(communication=False), enable_field=['collect'], comm_interval=1)
    outputs = policy.collect_mode.forward({env: env_obs(5, action_space) for env in range(3)})
    assert all((out[COMM_GROUP] == NO_AGENT).all() and not out[COMM_GATE].any() for out in outputs.values())


@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_policy_gate_learning_puts_the_gate_decision_in_the_action_log_prob(action_space):
    model = make_model(5, action_space, gate_learning='policy')
    obs = env_obs(5, action_space, batch=2)
    structure = fixed_structure(2, 5, {0: [1]})
    structure[COMM_GATE_DECIDED] = torch.tensor([True, False])
    structure[COMM_GATE][0, 0] = True  # sample 0: agent 0 opened its gate on this step
    output = model.compute_actor({**obs, **structure})
    prob = output['gate_prob']
    if action_space == 'discrete':
        gate_log_prob = output['logit'].unflatten(-1, (2, ACTION_SHAPE['discrete'])).logsumexp(dim=-1)
    else:
        gate_log_prob = output['logit']['action_type']
    torch.testing.assert_close(gate_log_prob[0], torch.stack([(1 - prob[0]).log(), prob[0].log()], dim=-1))
    # no decision on sample 1: the gate's part is certain (log 1 for "no decision", impossible otherwise)
    torch.testing.assert_close(gate_log_prob[1, :, 0], torch.zeros(5))
    assert (gate_log_prob[1, :, 1] <= IMPOSSIBLE / 2).all()
    # PPO's log-probability of the taken (gate, action) trains the gate where it decided, and only there
    for sample, trains in ((0, True), (1, False)):
        model.zero_grad()
        gate_log_prob[sample, 0, 1 if sample == 0 else 0].backward(retain_graph=True)
        grad = sum(p.grad.abs().sum() for p in model.actor['gate'].parameters() if p.grad is not None)
        assert (grad > 0) == trains, sample


@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_gain_gate_learning_keeps_the_gate_out_of_ppos_loss(action_space):
    broadcast = dict(broadcast_action=2) if action_space == 'discrete' else {}
    model = make_model(5, action_space, gate_learning='gain', **broadcast)
    output = model.compute_actor(env_obs(5, action_space, batch=2), sample_gate=True)
    action_output({'action_logit': output['logit']}, action_space).sum().backward()
    assert all(p.grad is None for p in model.actor['gate'].parameters())
    assert any(p.grad is not None for p in model.actor['encoder'].parameters())



@pytest.mark.parametrize('gate_learning', ['policy', 'gain'])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_initiate_all_ablation_opens_every_gate_and_keeps_the_gate_out_of_the_action(action_space, gate_learning):
    model = make_model(5, action_space, gate_learning=gate_learning, initiate_all=True)
    set_gate(model, -5.0)  # the gate would shut for everyone: the ablation never asks it
    obs = env_obs(5, action_space, batch=3, field=2)
    for sample_gate in (True, False):
        output = model.compute_actor(obs, sample_gate=sample_gate)
        assert output[COMM_GATE].all() and (output[COMM_GROUP_ROUND] != NO_AGENT).any()
    assert not model.gate_in_action
    assert action_output({'action_logit': output['logit']}, action_space).shape == \
        action_output(output, action_space).shape
    policy = make_policy(5, action_space, model=dict(initiate_all=True, gate_learning=gate_learning))
    assert policy._gain_queue is None  # nothing for a gain classifier to learn


@pytest.mark.parametrize('action_space', ACTION_SPACES)
@pytest.mark.parametrize('epsilon', [0.2, 0.5])
def test_gate_epsilon_keeps_the_sampled_gate_open_sometimes_and_ppo_learns_on_that_distribution(epsilon, action_space):
    model = make_model(5, action_space, gate_epsilon=epsilon)
    set_gate(model, -30.0)  # p is 1e-13: the gate has shut
    obs = env_obs(5, action_space, batch=800)
    sampled = model.compute_actor(obs, sample_gate=True)[COMM_GATE].float().mean().item()
    assert abs(sampled - epsilon / 2) < 0.03
    assert not model.compute_actor(obs)[COMM_GATE].any()  # thresholding reads p itself
    structure = fixed_structure(2, 5, {0: [1]})
    structure[COMM_GATE_DECIDED] = torch.tensor([True, True])
    output = model.compute_actor({**env_obs(5, action_space, batch=2), **structure})
    if action_space == 'discrete':
        gate_log_prob = output['logit'].unflatten(-1, (2, ACTION_SHAPE['discrete'])).logsumexp(dim=-1)
    else:
        gate_log_prob = output['logit']['action_type']
    q = epsilon / 2 + (1 - epsilon) * output['gate_prob']
    torch.testing.assert_close(gate_log_prob, torch.stack([(1 - q).log(), q.log()], dim=-1))
    model.zero_grad()
    gate_log_prob[0, 0, 1].backward()  # finite, and it still trains the gate
    grads = [p.grad for p in model.actor['gate'].parameters()]
    assert all(torch.isfinite(g).all() for g in grads) and sum(g.abs().sum() for g in grads) > 0


@pytest.mark.parametrize('ppo_param_init', [True, False])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_gate_init_prob_sets_every_agents_first_p_even_after_ppos_initialisation(action_space, ppo_param_init):
    obs = env_obs(5, action_space, batch=50)
    policy = make_policy(5, action_space, model=dict(gate_init_prob=0.9), learn=dict(ppo_param_init=ppo_param_init))
    prob = policy._model.compute_actor(obs)['gate_prob']
    torch.testing.assert_close(prob, torch.full_like(prob, 0.9), atol=0.01, rtol=0)
    if not ppo_param_init:  # the gate is set up once, as the model made it
        torch.manual_seed(0)
        made = make_model(5, action_space, gate_init_prob=0.9)
        torch.manual_seed(0)
        policy = make_policy(5, action_space, model=dict(gate_init_prob=0.9), learn=dict(ppo_param_init=False))
        assert all(torch.equal(ours, theirs) for ours, theirs in
                   zip(policy._model.actor['gate'].parameters(), made.actor['gate'].parameters()))
    plain = make_policy(5, action_space, model=dict(gate_init_prob=None),
                        learn=dict(ppo_param_init=ppo_param_init))._model.compute_actor(obs)
    assert (plain['gate_prob'] - 0.5).abs().mean() < 0.2  # without it, p starts around 0.5

def test_broadcast_action_logit_is_shifted_by_log_p():
    model = make_model(5, broadcast_action=2)
    plain = copy.deepcopy(model)
    plain.broadcast_action = None
    obs, structure = env_obs(5, batch=2), fixed_structure(2, 5, {0: [1]})
    shifted, unshifted = model.compute_actor({**obs, **structure}), plain.compute_actor({**obs, **structure})
    shift = shifted['action_logit'] - unshifted['action_logit']
    torch.testing.assert_close(shift[..., 2], shifted['gate_prob'].log())
    assert torch.equal(shift[..., [0, 1, 3, 4]], torch.zeros(2, 5, 4))


def collect(policy, steps, n_agent=5, action_space='discrete', n_env=2):
    """Transitions of ``steps`` collect steps on random observations, and the collect outputs."""
    transitions, outputs = [], []
    obs = {env: env_obs(n_agent, action_space) for env in range(n_env)}
    for _ in range(steps):
        output = policy.collect_mode.forward(obs)
        outputs.append(output)
        next_obs = {env: env_obs(n_agent, action_space) for env in range(n_env)}
        for env in obs:
            timestep = BaseEnvTimestep(next_obs[env], torch.tensor([1.0]), False, {})
            transitions.append(policy.collect_mode.process_transition(obs[env], output[env], timestep))
        obs = next_obs
    return transitions, outputs


def train_samples(policy, transitions, n_env=2):
    """PPO's train samples (GAE advantages) of ``collect``'s transitions, one trajectory per env."""
    return sum((policy.collect_mode.get_train_sample(transitions[env::n_env]) for env in range(n_env)), [])


@pytest.mark.parametrize('comm_interval', [1, 3])
def test_structure_lasts_comm_interval_steps_and_the_gate_decides_only_then(comm_interval):
    policy = make_policy(comm_interval=comm_interval, enable_field=['collect'])
    set_gate(policy._model, 5.0)
    _, outputs = collect(policy, 2 * comm_interval, n_env=1)
    for step, output in enumerate(outputs):
        assert bool(output[0][COMM_GATE_DECIDED]) == (step % comm_interval == 0), step
        assert output[0][COMM_GATE].any() == (step % comm_interval == 0), step
        if step % comm_interval:
            assert torch.equal(output[0][COMM_GROUP], outputs[step - 1][0][COMM_GROUP])
    policy.collect_mode.reset([0])
    assert bool(policy.collect_mode.forward({0: env_obs(5)})[0][COMM_GATE_DECIDED])


def test_collect_samples_the_gate_and_eval_thresholds_it():
    policy = make_policy(comm_interval=1, enable_field=['collect', 'eval'])
    set_gate(policy._model, 0.4)  # p = 0.6
    obs = {env: env_obs(5) for env in range(80)}
    sampled = torch.stack([out[COMM_GATE] for out in policy.collect_mode.forward(obs).values()]).float().mean()
    assert abs(sampled.item() - 0.6) < 0.08
    assert all(out[COMM_GATE].all() for out in policy.eval_mode.forward(obs).values())
    # evaluation is greedy: the same observation gives the same action
    first = policy.eval_mode.forward(obs)
    policy.eval_mode.reset()
    assert all(torch.equal(first[env]['action'], out['action']) for env, out in policy.eval_mode.forward(obs).items())


@pytest.mark.parametrize('gate_learning', ['policy', 'gain'])
@pytest.mark.parametrize('channel_conditions', [dict(), dict(delay=2, drop_prob=0.3)])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_learning_replays_the_structure_each_transition_was_acted_with(action_space, channel_conditions, gate_learning):
    policy = make_policy(comm_interval=2, action_space=action_space, channel_conditions=channel_conditions,
                         model=dict(gate_learning=gate_learning))
    set_gate(policy._model, 0.0)  # p = 0.5: initiators and groups vary between steps and envs
    transitions, _ = collect(policy, 6, action_space=action_space)
    assert (COMM_CHANNEL_STATE in transitions[0]['obs']) == bool(channel_conditions)
    batch = default_collate(transitions)
    # as PPO's learn step does: the whole observation goes to float32
    replayed = policy._model.compute_actor_critic(to_dtype(batch['obs'], torch.float32))
    if action_space == 'continuous' and gate_learning == 'policy':
        collected_logit = batch['logit']['action_type'], batch['logit']['action_args']['mu']
        replayed_logit = replayed['logit']['action_type'], replayed['logit']['action_args']['mu']
    elif action_space == 'continuous':
        collected_logit, replayed_logit = batch['logit']['mu'], replayed['logit']['mu']
    else:
        collected_logit, replayed_logit = batch['logit'], replayed['logit']
    torch.testing.assert_close(replayed_logit, collected_logit)  # the PPO ratio starts at 1
    torch.testing.assert_close(replayed['value'], batch['value'])


def test_learn_steps_with_ppo_and_the_gain_classifier_learns_from_the_gain():
    policy = make_policy(model=dict(gate_learning='gain', gate_init_prob=None), comm_interval=1,
                         learn=dict(epoch_per_collect=1, batch_size=8, attention_update_per_collect=150,
                                    learning_rate_attention=1e-2))
    transitions, _ = collect(policy, 4)  # p near 0.5 after PPO's initialisation: about half the agents initiate
    infos = policy.learn_mode.forward(train_samples(policy, transitions))
    assert infos and all(info['dq_queue_size'] > 0 for info in infos)
    # one pair per formed group: high gain for one observation, low for another
    queue = policy._gain_queue
    high, low = torch.randn(OBS), torch.randn(OBS)
    queue.push(torch.stack([high, low] * 50), torch.tensor([10.0, -10.0] * 50))

    def prob_gap():
        with torch.no_grad():
            prob = torch.sigmoid(policy._model.gate_logit(policy._model.actor['encoder'](torch.stack([high, low]))))
        return (prob[0] - prob[1]).item()

    before = prob_gap()
    policy._train_gate()
    assert prob_gap() > before + 0.2


def depth(tree):
    return 1 + max(map(depth, tree.values())) if isinstance(tree, dict) else 0


def deepest_entries_first(tree):
    """A collated batch with its most nested entries first, at every level: a key order a treetensor may have (it
    follows the process's string hashes)."""
    if not isinstance(tree, dict):
        return tree
    return {key: deepest_entries_first(tree[key]) for key in sorted(tree, key=lambda key: -depth(tree[key]))}


@pytest.mark.parametrize('gate_learning', ['policy', 'gain'])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_ppo_minibatches_of_the_task_pipelines_treetensor_batch_do_not_depend_on_its_key_order(
        action_space, gate_learning, monkeypatch):
    epochs, batch_size = 2, 4
    policy = make_policy(action_space=action_space, model=dict(gate_learning=gate_learning),
                         learn=dict(epoch_per_collect=epochs, batch_size=batch_size))
    transitions, _ = collect(policy, 4, action_space=action_space)
    samples = train_samples(policy, transitions)
    batch = ttorch.as_tensor(default_collate(samples))  # the task pipelines' learners get a treetensor
    json = ttorch.Tensor.json
    monkeypatch.setattr(ttorch.Tensor, 'json', lambda self: deepest_entries_first(json(self)))
    # a hybrid action's logit['action_args'] ({mu, sigma}) first once made the length 2: one minibatch an epoch
    assert len(policy.learn_mode.forward(batch)) == epochs * len(samples) // batch_size


@pytest.mark.parametrize('gate_learning', ['policy', 'gain'])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
def test_state_dict_round_trip(action_space, gate_learning):
    policy = make_policy(action_space=action_space, model=dict(gate_learning=gate_learning),
                         learn=dict(epoch_per_collect=1, batch_size=8))
    transitions, _ = collect(policy, 2, action_space=action_space)
    policy.learn_mode.forward(train_samples(policy, transitions))
    state = copy.deepcopy(policy.learn_mode.state_dict())
    assert ('dq_queue' in state) == (gate_learning == 'gain')
    other = make_policy(action_space=action_space, model=dict(gate_learning=gate_learning))
    other.learn_mode.load_state_dict(state)
    obs = env_obs(5, action_space, batch=2)
    structure = fixed_structure(2, 5, {0: [1, 2]})
    ours = policy._model.compute_actor_critic({**obs, **structure})
    theirs = other._model.compute_actor_critic({**obs, **structure})
    assert torch.equal(action_output(ours, action_space), action_output(theirs, action_space))
    assert torch.equal(ours['value'], theirs['value'])


@pytest.mark.parametrize('key,value,message', [
    ('channel', 'lstm', 'model.channel'),
    ('gate_learning', 'both', 'model.gate_learning'),
    ('group_size', 5, 'model.group_size'),
    ('initiator_threshold', 1.5, 'model.initiator_threshold'),
    ('broadcast_action', 5, 'model.broadcast_action'),
    ('thought_size', 0, 'model.thought_size'),
    ('gate_epsilon', 1.0, 'model.gate_epsilon'),
    ('gate_epsilon', -0.1, 'model.gate_epsilon'),
    ('gate_init_prob', 1.0, 'model.gate_init_prob'),
])
def test_bad_model_values_are_named(key, value, message):
    with pytest.raises(ValueError, match=message):
        make_model(5, **{key: value})


def test_bad_model_combinations_are_named():
    with pytest.raises(ValueError, match='model.action_space'):
        ATOCMAVAC(**{**model_config(5, 'discrete'), 'action_space': 'hybrid'})
    with pytest.raises(ValueError, match='model.message_size'):
        make_model(5, channel='bilstm', message_size=5)
    with pytest.raises(ValueError, match='model.broadcast_action'):
        make_model(5, 'continuous', broadcast_action=0)
    with pytest.raises(ValueError, match='model.initiate_all'):
        make_model(5, initiate_all=True, communication=False)


@pytest.mark.parametrize('overrides,message', [
    (dict(multi_agent=False), 'policy.multi_agent'),
    (dict(model=dict(action_space='continuous', action_shape=2)), 'policy.action_space'),
    (dict(comm_interval=0), 'policy.comm_interval'),
    (dict(channel_conditions=dict(drop_prob=2.0)), 'policy.channel_conditions.drop_prob'),
    (dict(collect=dict(sample_initiators=False)), 'policy.collect.sample_initiators'),
    (dict(model=dict(gate_learning='gain'), learn=dict(dq_normalisation='zscore')), 'learn.dq_normalisation'),
])
def test_bad_policy_values_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_policy(**overrides)


@pytest.mark.parametrize('action_space,gate_learning', [('discrete', 'policy'), ('continuous', 'policy'),
                                                        ('discrete', 'gain')])
def test_serial_pipeline_onpolicy_runs_a_few_hundred_env_steps(action_space, gate_learning, tmp_path):
    from ding.entry import serial_pipeline_onpolicy
    from tests import tiny
    env = dict(continuous_actions=action_space == 'continuous')
    model = dict(action_space=action_space, action_shape=5 if action_space == 'discrete' else 2,
                 gate_learning=gate_learning)
    main_config, create_config = tiny.shrink(*tiny.load('cooperative_navigation/ding_atoc_mappo_config.py'),
                                             n_sample=100, batch_size=50, env=env, model=model)
    main_config.policy.action_space = action_space
    main_config.policy.comm_interval = 5
    policy = serial_pipeline_onpolicy((main_config, create_config), seed=0, max_env_step=300)
    stats = policy.pop_communication_stats('collect')
    assert stats['initiator_share'] > 0  # the gate (p = 0.5 after PPO's init) opened while collecting
    assert list((tmp_path / 'run' / 'ckpt').glob('iteration_*.pth.tar'))
