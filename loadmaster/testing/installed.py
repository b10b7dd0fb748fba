"""`pytest -p loadmaster.testing.installed`: the extension installed for the whole session, so that every
`moto.mock_aws` in the run (yours, or a library's) has it too."""

from loadmaster.testing import install

install()
