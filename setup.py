"""Package layout: the data folders at the top of the repository ship inside gis_app."""

from setuptools import find_packages, setup

DATA_DIRS = {
    "gis_app.layers": "layers",
    "gis_app.styles": "styles",
    "gis_app.sample_gis": "sample_gis",
}

setup(
    packages=find_packages(include=["gis_app", "gis_app.*"]) + list(DATA_DIRS),
    package_dir=DATA_DIRS,
    package_data={
        "gis_app.layers": ["*.toml"],
        "gis_app.styles": ["*.toml"],
        "gis_app.sample_gis": ["*", "shapefile/*"],
        "gis_app.storage": ["migrations/*.mako"],
    },
)
