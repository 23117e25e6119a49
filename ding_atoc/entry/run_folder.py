"""
Overview:
    One experiment folder per run, named after what ran and claimed atomically: ``<exp_name>_seed<N>`` (the
    config's ``exp_name`` names env and policy; ``ding-atoc train --n-agent`` adds ``_n<N>``), and ``_2``, ``_3``, ...
    when that folder exists. ``os.mkdir`` is the claim: of two runs that start at the same moment exactly one
    creates a given folder, so two runs never share one.
"""
import itertools
import os
import re

#: A trailing seed in a config's ``exp_name`` (DI-engine's own configs name their folder for seed 0, e.g.
#: ``ptz_simple_spread_maddpg_seed0``; this project's name env and policy only): replaced by the run's seed.
SEED_SUFFIX = re.compile(r'_seed\d+$')


def base_name(exp_name: str) -> str:
    """
    Overview:
        ``exp_name`` relative to the working directory (an absolute ``exp_name`` splits DI-engine's outputs between
        two folders) and without a trailing ``_seed<N>``.
    """
    if os.path.isabs(exp_name):
        exp_name = os.path.relpath(exp_name)
    return SEED_SUFFIX.sub('', os.path.normpath(exp_name))


def claim_run_folder(exp_name: str, seed: int) -> str:
    """
    Overview:
        Create the folder of a new run, ``<base_name(exp_name)>_seed<seed>``, or the first of ``..._2``,
        ``..._3``, ... that does not exist yet.
    Arguments:
        - exp_name (:obj:`str`): the config's ``exp_name``.
        - seed (:obj:`int`): the run's seed.
    Returns:
        - folder (:obj:`str`): the created folder, relative to the working directory.
    """
    name = f'{base_name(exp_name)}_seed{seed}'
    parent = os.path.dirname(name)
    if parent:
        os.makedirs(parent, exist_ok=True)
    for attempt in itertools.count(1):
        folder = name if attempt == 1 else f'{name}_{attempt}'
        try:
            os.mkdir(folder)
            return folder
        except FileExistsError:
            continue


def folder_of_checkpoint(path: str) -> str:
    """
    Overview:
        The run folder a checkpoint of ``ding-atoc train`` belongs to (``<folder>/ckpt/<file>``), relative to the
        working directory; ``ValueError`` when the file is not inside a run's ``ckpt`` folder.
    """
    ckpt_dir = os.path.dirname(os.path.abspath(path))
    if os.path.basename(ckpt_dir) != 'ckpt':
        raise ValueError(
            f"{path}: --resume continues in the run's folder, so it takes a checkpoint inside <run folder>/ckpt/"
        )
    return os.path.relpath(os.path.dirname(ckpt_dir))
