from setuptools import find_packages, setup

setup(
    name='ding-atoc',
    version='0.1.0',
    description='ATOC (attentional communication for multi-agent cooperation) for DI-engine, vectorized',
    long_description=open('README.md', encoding='utf-8').read() if __import__('os').path.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['ding_atoc', 'ding_atoc.*', 'dizoo_envs', 'dizoo_envs.*']),
    python_requires='>=3.11,<3.12',  # DI-engine's MPE wrapper needs PettingZoo <= 1.22.3, which needs Python < 3.12
    install_requires=[
        'DI-engine==0.5.3',
        # DI-engine 0.5.3 pins setuptools<=66.1.1, and torch>=2.13 needs setuptools>=77: without this bound pip
        # downloads torch 2.14.1, 2.14.0 and 2.13.0 (about 1.6 GB) before it settles on 2.12.x.
        'torch>=2.0,<2.13',
        'pettingzoo[mpe]==1.22.3',
        'matplotlib',
        'imageio',
        'tqdm',
        'psutil',  # the host memory available, checked before a replay buffer is filled
        # DI-engine imports wandb with ding.framework.middleware, and the wandb pip settles on (0.12.16) ships _pb2
        # modules that protobuf > 3.20 refuses ("Descriptors cannot be created directly"): without this bound a
        # fresh install fails at that import.
        'protobuf<3.21',
    ],
    extras_require={
        # scipy: bench/window_stats.py, tensorboard: bench/train_log_windows.py (DI-engine brings it too); the tests
        # cover both. tensorboard < 2.21: 2.21 requires protobuf >= 6.31, which the bound above excludes
        'test': ['pytest', 'pytest-timeout', 'scipy', 'tensorboard<2.21'],
        # vmas: bench/env_speed.py's VMAS column; scipy: bench/window_stats.py's t-tests; tensorboard: the learner's
        # logs read by bench/train_log_windows.py; never needed by the library
        'bench': ['vmas==1.5.2', 'scipy', 'tensorboard<2.21'],
    },
    entry_points={
        'console_scripts': ['ding-atoc=ding_atoc.entry.cli:main'],
    },
)
