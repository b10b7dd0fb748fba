"""`pytest -p replace_mock_aws`: every `moto.mock_aws` the run imports is `loadmaster.testing.mock_sagemaker`.

Loaded as a plugin, before any conftest or test module does `from moto import mock_aws`.
"""

import moto

from loadmaster.testing import mock_sagemaker

moto.mock_aws = mock_sagemaker
