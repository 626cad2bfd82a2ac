"""One parser per top-level section of a scenario file. Each takes the
:class:`~scenariogen.dsl.distparse.ValueReader` and the marked YAML root;
``parse.parse_text`` calls them in this order: params, road, actors (with their
behaviour, manoeuvres and sensor), traffic, occluders, events."""
