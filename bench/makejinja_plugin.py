"""makejinja plugin: the values of one cluster (`-D cluster=NAME`) from the fluxgen.yaml passed
with `-d`, computed by the Jinja2 baseline's own `cluster_context`, as cluster-template's
plugin computes its derived values. One makejinja process renders one cluster."""

from baseline_jinja import cluster_context


class Plugin:
    def __init__(self, data):
        self._context = cluster_context(data, data["cluster"])

    def data(self):
        return self._context
