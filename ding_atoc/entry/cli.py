"""
Overview:
    The ``ding-atoc`` command: ``train`` (DI-engine task pipeline, progress display, learning curve, summary) and
    ``eval`` (a checkpoint's task metrics and a GIF with the communication groups).
"""
import argparse
import json
import os
import sys
from typing import List, Optional

from .config_loader import load_config
from .env_check import with_team_size
from .report import format_summary


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='ding-atoc', description=__doc__.split('Overview:')[-1].strip())
    commands = parser.add_subparsers(dest='command', required=True)
    train = commands.add_parser('train', help='train a config with DI-engine task pipeline')
    train.add_argument('-c', '--config', required=True, help='config file, e.g. configs/cooperative_navigation/...')
    train.add_argument('-s', '--seed', type=int, nargs='+', default=[0], help='one run per seed')
    train.add_argument('--env-step', type=int, default=None, help='env-step budget (default: the config\'s)')
    train.add_argument('--train-iter', type=int, default=None, help='train-iteration budget')
    train.add_argument('--n-agent', type=int, default=None, help='team size (all model sizes follow the env)')
    train.add_argument('--resume', default=None, help='checkpoint to resume from (<exp>/ckpt/ckpt_latest.pth.tar)')
    train.add_argument('--no-progress', action='store_true', help='no progress bar (e.g. in CI logs)')
    evaluate = commands.add_parser('eval', help='evaluate a checkpoint and write a GIF')
    evaluate.add_argument('-c', '--config', required=True)
    evaluate.add_argument('--ckpt', required=True, help='checkpoint file')
    evaluate.add_argument('-s', '--seed', type=int, default=0)
    evaluate.add_argument('--n-agent', type=int, default=None, help='team size the checkpoint was trained with')
    evaluate.add_argument('--episodes', type=int, default=5)
    evaluate.add_argument('--gif', default=None, help='GIF path (default: next to the checkpoint)')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    main_config, create_config = load_config(args.config)
    if args.n_agent is not None:
        main_config, create_config = with_team_size(main_config, create_config, args.n_agent)
    if args.command == 'train':
        from .train import train
        budget = args.env_step
        if budget is None and args.train_iter is None:
            budget = main_config.get('max_env_step')
        if budget is None and args.train_iter is None:
            raise SystemExit(f"{args.config} sets no max_env_step: pass --env-step or --train-iter")
        for seed in args.seed:
            summary = train((main_config, create_config), seed=seed, max_env_step=budget,
                            max_train_iter=args.train_iter, resume=args.resume, progress=not args.no_progress)
            print(format_summary({'seed': seed, **summary}), flush=True)
    else:
        from .evaluate import evaluate
        gif = args.gif or os.path.join(os.path.dirname(os.path.abspath(args.ckpt)), 'eval_episode.gif')
        metrics = evaluate((main_config, create_config), args.ckpt, seed=args.seed, episodes=args.episodes,
                           gif_path=gif)
        print(format_summary({**metrics, 'gif': gif}), flush=True)
        print(json.dumps(metrics))
    return 0


if __name__ == '__main__':
    sys.exit(main())
