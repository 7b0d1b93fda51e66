"""Adapters to other tools: a spaCy pipeline component (:mod:`diplolex.integrations.spacy`)
and a Ray Data batch mapper (:mod:`diplolex.integrations.ray`). Each needs its optional extra.
"""
