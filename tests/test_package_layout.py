"""The architecture as the layout shows it: the library ``ding_atoc`` never imports the envs package ``dizoo_envs``
(not even lazily, inside a function); what the two share is the data contract, defined in the library
(``ding_atoc.obs_keys``, ``ding_atoc.env_config_keys``, the env methods ``ding-atoc eval`` calls)."""
import ast
import pathlib

import pytest

import ding_atoc

LIBRARY = pathlib.Path(ding_atoc.__file__).parent
ENVS_PACKAGE = 'dizoo_envs'


def imported_modules(source: str) -> list:
    """Every module an ``import`` or ``from ... import`` statement names, at any depth of the module."""
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.append(node.module)
    return modules


def test_the_import_finder_sees_lazy_imports():
    assert imported_modules('def f():\n    from dizoo_envs.render import x\n    import dizoo_envs.batched\n') == [
        'dizoo_envs.render', 'dizoo_envs.batched']


@pytest.mark.parametrize('module', sorted(p.relative_to(LIBRARY).as_posix() for p in LIBRARY.rglob('*.py')))
def test_the_library_never_imports_the_envs_package(module):
    names = imported_modules((LIBRARY / module).read_text())
    assert not [name for name in names if name.split('.')[0] == ENVS_PACKAGE], module
