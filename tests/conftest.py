import pytest
import torch



#: Devices the device-parametrized tests run on; CUDA only where a GPU is present.
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def _seed_torch():
    torch.manual_seed(0)


@pytest.fixture
def in_tmp_path_one_thread(tmp_path, monkeypatch):
    """Run in ``tmp_path`` with one intra-op thread: on a busy 2-core machine, 2 threads make tiny nets ~7x slower."""
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tmp_path
    torch.set_num_threads(threads)
