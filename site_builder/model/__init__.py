"""The method and what it makes: embeddings (Word2Vec + a sentence embedding), the top-k
neighbours, the UMAP layouts, the evaluation against baselines and the memory check before training."""
