"""Entry points: ``train`` (DI-engine task pipeline), ``evaluate`` and the ``ding-atoc`` command."""
