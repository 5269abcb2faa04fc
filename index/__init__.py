"""Every Whoosh call of kb lives in this package: schema, build, search."""
