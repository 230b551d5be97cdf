"""The site's settings: the schema of site.yml (schema.py) and its loading (load.py)."""

from site_builder.config.load import load_config
from site_builder.config.schema import (
    CONFIG_NAME,
    DATASET_FORMATS,
    DatasetConfig,
    DownloadSettings,
    EmbeddingSettings,
    ImageSettings,
    ImageSource,
    InteractionColumns,
    LayoutSettings,
    LocalImages,
    PortalConfig,
    RecommendationSettings,
    SentenceSettings,
    SideTable,
    SiteConfig,
    SpriteSettings,
    TmdbImages,
    UrlColumnImages,
    Word2VecSettings,
    normalise_base_url,
)

__all__ = [
    "CONFIG_NAME", "DATASET_FORMATS", "DatasetConfig", "DownloadSettings", "EmbeddingSettings", "ImageSettings",
    "ImageSource", "InteractionColumns", "LayoutSettings", "LocalImages", "PortalConfig", "RecommendationSettings",
    "SentenceSettings", "SideTable", "SiteConfig", "SpriteSettings", "TmdbImages", "UrlColumnImages",
    "Word2VecSettings", "load_config", "normalise_base_url",
]
