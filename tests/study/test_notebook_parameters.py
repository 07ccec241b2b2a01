"""A notebook run by plain papermill refuses a bad parameter as ``digits-book run`` does.

The notebook here has what the study's notebooks have: a ``parameters`` cell, then
a cell calling :func:`digits_helpers.run.params.check_notebook_parameters`, which
papermill's injected cell precedes.
"""

from __future__ import annotations

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from papermill.exceptions import PapermillExecutionError

from digits_helpers.run.pipeline import LocalKernelManager

pytestmark = pytest.mark.notebooks  # starts real kernels

CHECK = "from digits_helpers.run import params\n\nparams.check_notebook_parameters(globals())"


@pytest.fixture
def notebook(tmp_path):
    defaults = 'test_size = 0.2\nrandom_state = 42\nrun_dir = "."'
    cells = [
        new_code_cell(defaults, metadata={"tags": ["parameters"]}),
        new_code_cell(CHECK),
        new_code_cell("reached = True"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "check.ipynb"
    nbformat.write(nb, path)
    return path


def _execute(notebook, **parameters):
    return papermill.execute_notebook(
        str(notebook),
        str(notebook.with_name("out.ipynb")),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        kernel_manager_class=LocalKernelManager,
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"test_size": 1.5}, "parameter 'test_size' must be a number from 0.05 to 0.5 (got 1.5)"),
        (
            {"random_state": -1},
            "parameter 'random_state' must be an integer from 0 to 4294967295 (got -1)",
        ),
    ],
)
def test_bad_value_fails_the_check_cell_with_the_one_line_message(notebook, parameters, message):
    with pytest.raises(PapermillExecutionError) as error:
        _execute(notebook, **parameters)
    assert error.value.ename == "ParameterError" and error.value.evalue == message
    assert error.value.traceback == [f"ParameterError: {message}"]
    executed = nbformat.read(notebook.with_name("out.ipynb"), as_version=4)
    check_cell = next(c for c in executed.cells if c.source == CHECK)
    assert check_cell.outputs[0].traceback == [f"ParameterError: {message}"]


def test_good_values_pass_the_check(notebook):
    executed = _execute(notebook, test_size=0.3, random_state=7, run_dir="elsewhere")
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert executed.cells[-1].execution_count is not None
