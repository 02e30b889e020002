"""The trust boundary: what the engine may read, how much, and in what shape, decided in one place.

- :mod:`engine.trust.limits`: every resource limit, with its Vietnamese name, settable per process or per call.
- :mod:`engine.trust.files`: which files a spec may read (its folder, the engine's, folders the user named),
  regular files only, bounded reads, text encodings.
- :mod:`engine.trust.packages`: .docx and .xlsx checked before they are unpacked (zip bombs, DTDs, links
  that make LibreOffice read other files), and the parser settings for XML from outside.
- :mod:`engine.trust.plain`: data handed in by a program made into checked plain data.
- :mod:`engine.trust.images`: a signature image checked before it goes into a document.

What a template or an expression may touch is the sandbox in :mod:`engine.render.environment`, which
reads its bounds from the same limits.
"""
