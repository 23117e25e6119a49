import pytest
import torch



#: Devices the device-parametrized tests run on; CUDA only where a GPU is present.
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def _seed_torch():
    torch.manual_seed(0)
