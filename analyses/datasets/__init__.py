"""Neural data sets by name: a registry of loaders, each returning a
:class:`~chronoscore.analyses.benchmark_data.Benchmark`.

One module per data set registers its loader with :func:`dataset`::

    simulated       the embedded default (generated images, simulated V4/IT)
    majajhong2015   Brain-Score's MajajHong2015 V4/IT recordings (and its assembly names)
    cowley2023_v4   Cowley et al. 2023 V4 spike counts, from a local folder
    kiani2007_it    the 92-image monkey IT RDM, from a local folder
    folder          any assembly.nc with its stimulus set
    nwb             NWB recordings with the images they show, from a local folder

``chronoscore data list`` prints them with what each holds and needs;
``load_benchmark(name, folder=...)`` loads one to score a model on.
"""

from chronoscore.analyses.datasets._registry import (
    DataRequest,
    DataSet,
    dataset,
    get_dataset,
    list_datasets,
    load_benchmark,
    load_dataset,
)

__all__ = ["DataRequest", "DataSet", "dataset", "get_dataset", "list_datasets", "load_benchmark", "load_dataset"]
