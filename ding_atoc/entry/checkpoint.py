"""
Overview:
    Checkpoints that a crash cannot corrupt and that say what they hold: written to a temporary file and moved into
    place atomically, with the run's counters, its seed and its config, so that a run resumes where it stopped, in
    its own folder, and only with the seed and config it was started with. Loading names the file and what is wrong
    with it: not a checkpoint, truncated, another policy or model size, non-finite weights.
"""
import contextlib
import hashlib
import json
import os
import zipfile
from typing import Any, Dict, Iterator, List, Mapping, Optional

import torch

#: File name of the most recent checkpoint inside ``<exp_name>/ckpt``.
LATEST = 'ckpt_latest.pth.tar'
#: Top-level ``main_config`` keys that may change when a run is resumed: where it writes and how long it runs.
RESUMABLE_KEYS = ('exp_name', 'max_env_step')


class CheckpointError(ValueError):
    """A checkpoint that cannot be used as asked; the message names the file and the problem."""


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """
    Overview:
        Yield a temporary path beside ``path`` to write to; when the block ends without error, move it onto
        ``path`` in one step, so that a reader sees the previous file or the new one, never a partial one. On an
        error the temporary file is removed.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f'{path}.tmp{os.getpid()}'
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    """
    Overview:
        Save ``state`` to ``path`` atomically (see ``atomic_path``).
    """
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def load_checkpoint(path: str) -> Dict[str, Any]:
    """
    Overview:
        Load a checkpoint written by ``save_checkpoint`` (or a DI-engine ``iteration_*.pth.tar``, which holds the
        policy state alone) onto the CPU.
    Returns:
        - state (:obj:`Dict[str, Any]`): ``policy`` (learn-mode state dict) and, for checkpoints of ``ding-atoc \
            train``, ``env_step``, ``train_iter``, ``wall_s``, ``seed``, ``policy_type``, ``config`` and \
            ``config_fingerprint`` (see ``run_identity``).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path!r}")
    try:
        state = torch.load(path, map_location='cpu', weights_only=False)
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, EOFError, ... by the kind of damage
        kind = 'truncated or corrupted' if zipfile.is_zipfile(path) or _starts_like_zip(path) else 'not a torch file'
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint ({kind}: {first_line})") from error
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a checkpoint (holds a {type(state).__name__}, not a state dict)")
    return state if 'policy' in state else {'policy': state}


def _starts_like_zip(path: str) -> bool:
    """torch writes zip archives: a file with the zip signature that zipfile rejects has lost its end."""
    with open(path, 'rb') as f:
        return f.read(4) == b'PK\x03\x04'


def run_identity(main_config: Mapping, create_config: Mapping, seed: int) -> Dict[str, Any]:
    """
    Overview:
        What a resumed run must share with the run that wrote the checkpoint: the seed, the policy type and the
        config (``main_config`` without ``RESUMABLE_KEYS`` and ``policy.cuda``, which may change between machines,
        plus the registry names of ``create_config``), with a fingerprint of the latter.
    Returns:
        - identity (:obj:`Dict[str, Any]`): ``seed``, ``policy_type``, ``config`` (plain data), \
            ``config_fingerprint`` (hex digest).
    """
    config = {key: value for key, value in main_config.items() if key not in RESUMABLE_KEYS}
    config['policy'] = {key: value for key, value in config.get('policy', {}).items() if key != 'cuda'}
    config['create'] = {section: create_config[section]['type'] for section in ('env', 'policy')}
    # repr for what JSON lacks (numpy scalars, inf): the text is what is compared, and stored as plain data.
    text = json.dumps(config, sort_keys=True, default=repr)
    return {
        'seed': seed,
        'policy_type': create_config['policy']['type'],
        'config': json.loads(text),
        'config_fingerprint': hashlib.sha256(text.encode()).hexdigest()[:16],
    }


def check_resumable(state: Dict[str, Any], identity: Dict[str, Any], path: str) -> None:
    """
    Overview:
        Raise ``CheckpointError`` unless the checkpoint ``state`` (loaded from ``path``) was written by
        ``ding-atoc train`` with the seed and config of ``identity``; the message names the differing keys.
        Checkpoints of earlier versions, which store neither, are accepted as they are.
    """
    if 'env_step' not in state:
        raise CheckpointError(
            f"{path}: holds a policy state only (a DI-engine checkpoint?); --resume needs a {LATEST} of "
            "`ding-atoc train` (evaluate this one with `ding-atoc eval --ckpt`)"
        )
    if 'seed' in state and state['seed'] != identity['seed']:
        raise CheckpointError(
            f"{path}: written by the run with seed {state['seed']}; resume it with -s {state['seed']} "
            f"(or start a new run for seed {identity['seed']})"
        )
    if 'config_fingerprint' in state and state['config_fingerprint'] != identity['config_fingerprint']:
        changes = config_differences(state['config'], identity['config'])
        raise CheckpointError(
            f"{path}: written with another config ({'; '.join(changes[:5])}); resume with the run's config "
            "(its total_config.py) or start a new run"
        )


def config_differences(before: Any, after: Any, prefix: str = '') -> List[str]:
    """The keys whose values differ between two nested configs, as ``key: old -> new`` lines."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in sorted(set(before) | set(after), key=str):
            name = f'{prefix}.{key}' if prefix else str(key)
            changes += config_differences(before.get(key, '(unset)'), after.get(key, '(unset)'), name)
        return changes
    return [] if before == after else [f'{prefix}: {before!r} -> {after!r}']


def load_policy_state(policy: Any, state: Dict[str, Any], path: str, identity: Optional[Dict[str, Any]] = None) -> None:
    """
    Overview:
        Check that a loaded checkpoint fits ``policy`` and load it into its learn mode. Raises ``CheckpointError``
        naming ``path`` when the checkpoint holds non-finite values, was written by another policy type, or its
        weights have other names or shapes than the policy's model (with the model keys of the checkpoint's config
        that differ, where it stores one).
    Arguments:
        - policy (:obj:`Any`): a DI-engine policy with its learn mode enabled.
        - state (:obj:`Dict[str, Any]`): as ``load_checkpoint`` returns it.
        - path (:obj:`str`): the checkpoint's path, for messages.
        - identity (:obj:`Optional[Dict[str, Any]]`): ``run_identity`` of the config the policy was built from.
    """
    for name, tensor in _tensors(state['policy']):
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(
                f"{path}: {name} holds non-finite values (NaN or inf): the run it comes from diverged"
            )
    if identity is not None and state.get('policy_type', identity['policy_type']) != identity['policy_type']:
        raise CheckpointError(
            f"{path}: written by policy {state['policy_type']!r}; this config's policy is {identity['policy_type']!r}"
        )
    expected = dict(_tensors(policy.learn_mode.state_dict().get('model', {}), 'model'))
    found = dict(_tensors(state['policy'].get('model', {}), 'model'))
    missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights of another model ({len(missing)} of this policy's model weights missing, e.g. "
            f"{missing[:2]}; {len(unexpected)} unknown, e.g. {unexpected[:2]}): written by another policy?"
        )
    for name, tensor in expected.items():
        if found[name].shape != tensor.shape:
            hint = 'another observation width, action width or network size?'
            if identity is not None and 'config' in state:
                model_before = state['config'].get('policy', {}).get('model', {})
                model_now = identity['config']['policy'].get('model', {})
                hint = ', '.join(config_differences(model_before, model_now, 'policy.model')) or hint
            raise CheckpointError(
                f"{path}: {name} has shape {tuple(found[name].shape)} in the checkpoint and {tuple(tensor.shape)} "
                f"in this config's model ({hint})"
            )
    policy.learn_mode.load_state_dict(state['policy'])


def _tensors(tree: Any, prefix: str = '') -> Iterator:
    """(dotted name, tensor) of every tensor in nested dicts and lists."""
    if isinstance(tree, torch.Tensor):
        yield prefix, tree
    elif isinstance(tree, Mapping):
        for key, value in tree.items():
            yield from _tensors(value, f'{prefix}.{key}' if prefix else str(key))
    elif isinstance(tree, (list, tuple)):
        for index, value in enumerate(tree):
            yield from _tensors(value, f'{prefix}.{index}')
