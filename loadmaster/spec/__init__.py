"""The portfolio file (version 1), by job: `reader` reads the YAML with its guards, `base` and `schema` are the typed,
immutable spec (each hosting's model in `loadmaster.hostings`), `pydantic_errors` turns pydantic's errors into
`Problem`s, `checks` holds what needs the whole file, and `load` ties them together (`load_portfolio`).

Nothing is imported here: the hosting modules import `loadmaster.spec.base`, and `schema` imports them back.
"""
