"""
Overview:
    The ``ding-atoc`` command: ``train`` (DI-engine task pipeline, progress display, learning curve, summary) and
    ``eval`` (a checkpoint's task metrics and a GIF with the communication groups). A problem with the config, a
    budget or a checkpoint is one line on stderr and exit code 2; ``--debug`` shows its traceback.
"""
import argparse
import contextlib
import json
import os
import sys
from typing import List, Optional

from ding.utils import get_rank, registry

from ..batched import COLLECTORS
from ..distributed import DDPContext
from .checkpoint import load_checkpoint
from .config_loader import load_config
from .env_check import with_team_size
from .evaluate import GATES
from .report import format_summary
from .run_folder import base_name

#: Errors of the checks before and around a run (config keys and types, budgets, registry names, files, checkpoints):
#: printed as one line. Any other error is a bug and keeps its traceback.
EXPECTED_ERRORS = (ValueError, KeyError, FileNotFoundError, MemoryError)
#: Exit code of a run stopped by an expected error (argparse uses 2 for bad arguments too).
ERROR_EXIT_CODE = 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('-c', '--config', required=True, help='config file, e.g. configs/cooperative_navigation/...')
    common.add_argument('--n-agent', type=int, default=None, help='team size (all model sizes follow the env)')
    common.add_argument('--debug', action='store_true', help='show the traceback of an error')
    parser = argparse.ArgumentParser(prog='ding-atoc', description=__doc__.split('Overview:')[-1].strip())
    commands = parser.add_subparsers(dest='command', required=True)
    train = commands.add_parser(
        'train', parents=[common], help='train a config with DI-engine task pipeline',
        description='Train in a new folder <exp_name>[_n<N>]_seed<seed> (with _2, _3, ... when it exists), or resume '
        'a run in its own folder.'
    )
    train.add_argument('-s', '--seed', type=int, nargs='+', default=None,
                       help='one run per seed (default 0; with --resume, the checkpoint\'s seed)')
    train.add_argument('--env-step', type=int, default=None,
                       help='env-step budget (default: the config\'s max_env_step); the run stops at it')
    train.add_argument('--train-iter', type=int, default=None, help='train-iteration budget')
    train.add_argument('--resume', default=None,
                       help='checkpoint to resume from (<run folder>/ckpt/ckpt_latest.pth.tar): the run continues in '
                       'that folder, with the seed and config it was started with')
    train.add_argument('--save-every', type=float, default=120.0, metavar='SECONDS',
                       help='seconds between checkpoints, besides the one at the end (0: after every collection); a '
                       'crash loses at most this much training (default: %(default)s)')
    train.add_argument('--no-progress', action='store_true', help='no progress bar (e.g. in CI logs)')
    train.add_argument('--collector', choices=COLLECTORS, default='auto',
                       help='auto (default): the batched env with a tensor replay buffer (on-policy: rollouts and '
                       "GAE) where the env and policy support it, else DI-engine's per-env managers; batched: that or "
                       "an error; per-env: DI-engine's")
    train.add_argument('--parallel', type=int, default=None, metavar='C',
                       help="DI-engine's parallel mode: a learner process (which owns the run folder) and C collector "
                       "processes that send it transitions and dQ pairs and receive its weights (ding_atoc policies)")
    evaluate = commands.add_parser('eval', parents=[common], help='evaluate a checkpoint and write a GIF')
    evaluate.add_argument('--ckpt', required=True, help='checkpoint file')
    evaluate.add_argument('-s', '--seed', type=int, default=0)
    evaluate.add_argument('--episodes', type=int, default=5)
    evaluate.add_argument('--gif', default=None, help='GIF path (default: eval_episode.gif next to the checkpoint)')
    evaluate.add_argument('--gate', default='learned', choices=GATES,
                          help="the attention unit as trained, or overruled: 'open' (every agent initiates), "
                               "'closed' (none does) or 'random' (each initiates with probability --random-share), to "
                               "measure what communication is worth to the trained policy")
    evaluate.add_argument('--random-share', type=float, default=None, metavar='P',
                          help="with --gate random: the initiator rate in [0, 1] (e.g. the learned gate's "
                               "eval_initiator_share, to measure what its choice of initiators is worth)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """
    Overview:
        Run ``ding-atoc`` with ``argv`` (default: the command line). Returns the exit code: 0, or
        ``ERROR_EXIT_CODE`` after printing an expected error as one line (raised instead with ``--debug``).
    """
    args = _parser().parse_args(argv)
    if not args.debug:
        # DI-engine's registry prints the full argspec of a model whose constructor raises (once per process);
        # check_config names unknown model keys, and the constructor's own error says what is wrong.
        registry._innest_error = False
    try:
        _run(args)
    except EXPECTED_ERRORS as error:
        if args.debug:
            raise
        # KeyError's str() is the repr of its argument: print the message itself.
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f'ding-atoc {args.command}: error: {message} (--debug shows the traceback)', file=sys.stderr)
        return ERROR_EXIT_CODE
    return 0


def _run(args: argparse.Namespace) -> None:
    main_config, create_config = load_config(args.config)
    if args.n_agent is not None and args.n_agent != main_config.env.get('n_agent'):
        main_config, create_config = with_team_size(main_config, create_config, args.n_agent)
        main_config.exp_name = f'{base_name(main_config.exp_name)}_n{args.n_agent}'
    if args.command == 'train':
        # Under `torchrun --nproc_per_node N`, every process is one rank of a data-parallel run.
        launched_ranks = int(os.environ.get('WORLD_SIZE', 1))
        if args.parallel is not None and launched_ranks > 1:
            raise ValueError(f"--parallel starts its own learner and collector processes: it cannot run under "
                             f"torchrun (WORLD_SIZE={launched_ranks}); use one or the other")
        with DDPContext() if launched_ranks > 1 else contextlib.nullcontext():
            _train(args, main_config, create_config)
    else:
        from .evaluate import evaluate
        gif = args.gif or os.path.join(os.path.dirname(os.path.abspath(args.ckpt)), 'eval_episode.gif')
        metrics = evaluate((main_config, create_config), args.ckpt, seed=args.seed, episodes=args.episodes,
                           gif_path=gif, gate=args.gate, random_share=args.random_share)
        print(format_summary({**metrics, 'gif': gif}), flush=True)
        print(json.dumps(metrics))


def _train(args: argparse.Namespace, main_config, create_config) -> None:
    """``ding-atoc train``: one run per seed (on rank 0 of a data-parallel run, the summaries)."""
    from .train import train
    seeds = args.seed
    if args.resume is not None:
        if seeds is not None and len(seeds) > 1:
            raise ValueError(f"--resume continues one run, got {len(seeds)} seeds")
        seeds = seeds or [load_checkpoint(args.resume).get('seed', 0)]
    budget = args.env_step
    if budget is None and args.train_iter is None:
        budget = main_config.get('max_env_step')
    if args.parallel is not None:
        from .parallel import train_parallel
        if args.collector == 'batched':
            raise ValueError("--parallel collects with DI-engine's per-env StepCollector: --collector batched does "
                             "not apply to it")
    for seed in seeds or [0]:
        if args.parallel is not None:
            summary = train_parallel((main_config, create_config), args.parallel, seed=seed, max_env_step=budget,
                                     max_train_iter=args.train_iter, resume=args.resume,
                                     progress=not args.no_progress, save_every_s=args.save_every)
        else:
            summary = train((main_config, create_config), seed=seed, max_env_step=budget,
                            max_train_iter=args.train_iter, resume=args.resume, progress=not args.no_progress,
                            save_every_s=args.save_every, collector=args.collector)
        if get_rank() == 0:
            print(format_summary({'seed': seed, **summary}), flush=True)


if __name__ == '__main__':
    sys.exit(main())
