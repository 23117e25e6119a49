"""A short serial_pipeline run of ding_atoc over a late and lossy channel, with each channel type."""
import pytest
import torch

from tests import tiny


@pytest.mark.parametrize('channel', ['bilstm', 'attention'])
def test_serial_pipeline_with_delay_2_and_drop_0_2(tmp_path, monkeypatch, channel):
    monkeypatch.chdir(tmp_path)
    main_config, create_config = tiny.shrink(
        *tiny.load('cooperative_navigation/ding_atoc_config.py'), n_sample=64, model=dict(channel=channel)
    )
    main_config.policy.channel_conditions = dict(delay=2, drop_prob=0.2)
    main_config.policy.comm_interval = 3
    policy = tiny.run(main_config, create_config, max_train_iter=3)
    stats = policy.pop_communication_stats('collect')
    assert stats['messages_dropped'] > 0 and stats['messages_delivered'] > 0
    assert (tmp_path / 'run' / 'ckpt' / 'ckpt_best.pth.tar').exists()
    state = torch.load(tmp_path / 'run' / 'ckpt' / 'ckpt_best.pth.tar', map_location='cpu', weights_only=False)
    channel_weight = {'bilstm': 'actor.channel.lstm.weight_ih_l0', 'attention': 'actor.channel.query.weight'}
    assert channel_weight[channel] in state['model']
