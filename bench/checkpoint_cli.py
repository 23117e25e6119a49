"""
Overview:
    The command line the checkpoint measurements share (``reward_coverage.py``, ``communication_profile.py``,
    ``movement.py``): a config, a checkpoint of it, how many greedy episodes from which seed, the team size to play
    at, and the config overrides the checkpoint was trained with.
"""
import argparse
from typing import Callable, List, Optional, Sequence, Tuple

import torch

from bench.compare import apply_settings
from ding_atoc.entry.config_loader import load_config
from ding_atoc.entry.env_check import with_team_size


def checkpoint_parser(doc: str, config_help: str) -> argparse.ArgumentParser:
    """A parser with ``-c/--config``, ``--ckpt``, ``--episodes``, ``--seed``, ``--n-agent`` and ``--set``; add a
    script's own."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config', required=True, help=config_help)
    parser.add_argument('--ckpt', required=True, help='checkpoint (ckpt_latest.pth.tar of ding-atoc train)')
    parser.add_argument('--episodes', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--n-agent', type=int, default=None, help="team size to play at (default: the config's)")
    parser.add_argument('--set', nargs='+', default=[], metavar='KEY=VALUE',
                        help="the config overrides the checkpoint was trained with (bench/compare.py's --set)")
    return parser


def checkpoint_config(args: argparse.Namespace) -> Tuple[dict, dict]:
    """``(main_config, create_config)`` of ``--config`` at ``--n-agent`` with ``--set``; one torch thread, as the
    benchmarks run."""
    torch.set_num_threads(1)
    input_cfg = load_config(args.config)
    main_config, create_config = input_cfg if args.n_agent is None else with_team_size(*input_cfg, args.n_agent)
    apply_settings(main_config, dict(item.split('=', 1) for item in args.set))  # after the team size, as compare
    return main_config, create_config


#: A checkpoint measurement's table: ``(input_cfg, ckpt, episodes, seed) -> markdown lines``.
CheckpointTable = Callable[[Tuple[dict, dict], str, int, int], List[str]]


def print_checkpoint_table(table: CheckpointTable, doc: str, config_help: str,
                           argv: Optional[Sequence[str]] = None) -> None:
    """The ``main`` of a checkpoint measurement without options of its own: parse ``argv`` with
    ``checkpoint_parser``, and print ``table`` of the checkpoint."""
    args = checkpoint_parser(doc, config_help).parse_args(argv)
    print('\n'.join(table(checkpoint_config(args), args.ckpt, args.episodes, args.seed)))
