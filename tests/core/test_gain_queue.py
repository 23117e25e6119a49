"""The dQ queue D and the targets the attention unit is trained on (``learn.dq_normalisation``)."""
import pytest
import torch

from ding_atoc.policy.gain_queue import CommunicationGainQueue, GainOutbox

OBS = 3


def queue_of(gain, normalisation, capacity=1000):
    queue = CommunicationGainQueue(capacity, OBS, normalisation=normalisation)
    queue.push(torch.randn(len(gain), OBS), torch.as_tensor(gain, dtype=torch.float))
    return queue


def bulk_and_outlier(outlier):
    """999 dQ spread evenly over [-1, 1] and one far outlier."""
    return torch.cat([torch.linspace(-1.0, 1.0, 999), torch.tensor([outlier])])


@pytest.mark.parametrize('outlier', [-100.0, 100.0])
def test_minmax_lets_one_outlier_push_every_other_target_to_one_end(outlier):
    gain = bulk_and_outlier(outlier)
    target = queue_of(gain, 'minmax').targets(gain)
    bulk = target[:-1]
    # The paper's rule: the whole bulk lands within 0.02 of the end opposite the outlier; p = 0.5 means nothing.
    assert (bulk - (1.0 if outlier < 0 else 0.0)).abs().max() < 0.02


@pytest.mark.parametrize('outlier', [-100.0, 100.0])
def test_standardised_targets_split_at_the_mean_whatever_the_outlier(outlier):
    gain = bulk_and_outlier(outlier)
    target = queue_of(gain, 'standardised').targets(gain)
    mean = gain.mean()
    assert torch.equal(target > 0.5, gain > mean) and torch.equal(target < 0.5, gain < mean)
    assert target[-1] == (0.0 if outlier < 0 else 1.0)  # beyond one std: saturated at its end
    assert abs(target[:-1].median() - 0.5) < 0.05  # the bulk stays around the middle
    order = torch.argsort(gain)
    assert (target[order].diff() >= 0).all()  # a larger dQ never gets a smaller target
    normal = torch.randn(1000)
    target = queue_of(normal, 'standardised').targets(normal)
    for end in (0.0, 1.0):  # beyond one std on either side: about 16% of a normal sample at each end
        assert 0.1 < (target == end).float().mean() < 0.22


@pytest.mark.parametrize('normalisation', ['minmax', 'standardised'])
def test_targets_span_zero_to_one_and_constant_dq_gives_one_half(normalisation):
    gain = torch.tensor([-2.0, 0.0, 2.0])
    assert queue_of(gain, normalisation).targets(gain).tolist() == [0.0, 0.5, 1.0]
    constant = torch.full((5, ), 0.3)
    assert torch.equal(queue_of(constant, normalisation).targets(constant), torch.full((5, ), 0.5))
    single = torch.tensor([4.0])
    assert queue_of(single, normalisation).targets(single).tolist() == [0.5]


def test_sign_targets_say_whether_communicating_helps_whatever_the_other_pairs():
    gain = torch.tensor([-3.0, -0.01, 0.0, 0.01, 5.0])
    assert queue_of(gain, 'sign').targets(gain).tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    helps_everyone = torch.linspace(0.1, 2.0, 100)  # the relative rules would still shut the gate for half of them
    assert torch.equal(queue_of(helps_everyone, 'sign').targets(helps_everyone), torch.ones(100))
    assert (queue_of(helps_everyone, 'standardised').targets(helps_everyone) < 0.5).float().mean() == 0.5


def test_samples_carry_the_targets_of_their_own_pairs():
    gain = torch.tensor([-3.0, -1.0, 0.0, 1.0, 5.0])
    queue = CommunicationGainQueue(10, OBS)
    obs = torch.arange(len(gain) * OBS, dtype=torch.float).view(len(gain), OBS)
    queue.push(obs, gain)
    sampled_obs, target = queue.sample(64)
    index = (sampled_obs[:, 0] / OBS).long()
    assert torch.equal(target, queue.targets(gain)[index])


def test_unknown_normalisation_is_refused():
    with pytest.raises(ValueError, match='dq_normalisation'):
        CommunicationGainQueue(10, OBS, normalisation='zscore')


@pytest.mark.parametrize('normalisation,opens_for', [('minmax', set()), ('standardised', {1.0})])
def test_the_attention_unit_tells_situations_apart_only_when_one_outlier_cannot_set_every_target(
        normalisation, opens_for):
    # Half the situations gain from communicating (dQ +0.01), half lose (-0.01); one pair gained 1.0. With min-max
    # that outlier puts every other target within 0.02 of 0: the gate learns "closed" for everybody. Standardised,
    # it opens where dQ is above the queue's mean.
    from tests.core.helpers import make_policy
    policy = make_policy(obs_shape=OBS, learn=dict(dq_normalisation=normalisation, attention_batch_size=64))
    sign = torch.tensor([1.0, -1.0]).repeat(200)
    obs = torch.randn(len(sign), OBS)
    obs[:, 0] = sign
    policy._gain_queue.push(torch.cat([obs, torch.zeros(1, OBS)]), torch.cat([0.01 * sign, torch.tensor([1.0])]))
    for _ in range(300):
        policy._train_attention_unit()
    model = policy._model
    with torch.no_grad():
        prob = model.compute_initiator_prob(model.actor['encoder'](obs))
    opened = {s for s in (1.0, -1.0) if (prob[sign == s] > model.initiator_threshold).float().mean() > 0.9}
    assert opened == opens_for


def test_an_outbox_hands_over_each_pair_once_oldest_first_keeping_the_newest_capacity():
    outbox = GainOutbox(capacity=4)
    assert outbox.take() is None
    outbox.push(torch.zeros(3, OBS), torch.tensor([1., 2., 3.]))
    outbox.push(torch.ones(2, OBS), torch.tensor([4., 5.]))
    obs, gain = outbox.take()
    assert gain.tolist() == [2., 3., 4., 5.] and obs[:, 0].tolist() == [0., 0., 1., 1.]
    assert outbox.take() is None and outbox.recorded == 5  # counts every pair recorded, taken or dropped
    queue = CommunicationGainQueue(10, OBS)
    outbox.push(torch.ones(1, OBS), torch.tensor([6.]))
    queue.push(*outbox.take())  # what the learner does with what a collector sends
    assert len(queue) == 1


def test_summary_describes_the_distribution_of_dq_in_the_queue_and_only_its_pairs():
    queue = CommunicationGainQueue(4, OBS)
    assert queue.summary() == {}
    queue.push(torch.zeros(6, OBS), torch.tensor([100.0, -100.0, -1.0, 0.0, 1.0, 3.0]))  # the first two fall out
    summary = queue.summary()
    assert summary['dq_mean'] == pytest.approx(0.75)
    assert summary['dq_std'] == pytest.approx(torch.tensor([-1.0, 0.0, 1.0, 3.0]).std().item())
    assert summary['dq_positive_share'] == 0.5
    assert summary['dq_median'] == pytest.approx(0.5)
    assert summary['dq_q10'] == pytest.approx(-0.7) and summary['dq_q90'] == pytest.approx(2.4)
    single = CommunicationGainQueue(4, OBS)
    single.push(torch.zeros(1, OBS), torch.tensor([2.0]))
    assert single.summary()['dq_std'] == 0.0 and single.summary()['dq_median'] == 2.0
