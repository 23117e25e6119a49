"""
Overview:
    Who initiates communication: the gate rules the ATOC models share. The attention unit's probabilities decide
    (thresholded, or sampled while exploring) unless a rule overrules it: nobody without communication, everybody
    with ``initiate_all``, or a ``RandomGate`` set on the model (what the attention unit's choice of initiators is
    worth beyond their number: ``ding-atoc eval --gate random``).
"""
from typing import Optional

import torch


def check_share(share: float) -> None:
    """A random gate's initiator rate must be a probability."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the random gate's share (--random-share) must be in [0, 1], got {share}")


class RandomGate:
    """
    Overview:
        Initiators drawn at random, whatever the attention unit says: each agent at each decision independently
        with probability ``share``, from its own seeded generator (so one evaluation repeats bit for bit).
    Arguments:
        - share (:obj:`float`): the initiator rate, in [0, 1].
        - seed (:obj:`int`): seed of the draws.
    """

    def __init__(self, share: float, seed: int = 0) -> None:
        check_share(share)
        self.share = float(share)
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, prob: torch.Tensor) -> torch.Tensor:
        """Initiators of the shape of the attention unit's ``prob`` (B, A), as bools on its device."""
        return (torch.rand(prob.shape, generator=self.generator) < self.share).to(prob.device)


def decide_initiators(model: torch.nn.Module, prob: torch.Tensor,
                      explore_prob: Optional[torch.Tensor] = None) -> torch.Tensor:
    """
    Overview:
        The initiators of one decision by ``model``'s gate rule (its ``communication``, ``initiate_all``,
        ``random_gate`` and ``initiator_threshold``): sampled from Bernoulli(``explore_prob``) when it is given and
        no rule overrules the attention unit, else p_i > threshold.
    Arguments:
        - model (:obj:`torch.nn.Module`): an ATOC model.
        - prob (:obj:`torch.Tensor`): the attention unit's p_i.
        - explore_prob (:obj:`Optional[torch.Tensor]`): the probabilities to sample from while exploring.
    Returns:
        - initiator (:obj:`torch.Tensor`): bool, the shape of ``prob``.
    Shapes:
        - prob, explore_prob, initiator: :math:`(B, A)`
    """
    if not model.communication:
        return torch.zeros_like(prob, dtype=torch.bool)
    if model.initiate_all:
        return torch.ones_like(prob, dtype=torch.bool)
    if model.random_gate is not None:
        return model.random_gate(prob)
    if explore_prob is not None:
        return torch.bernoulli(explore_prob).bool()
    return prob > model.initiator_threshold
