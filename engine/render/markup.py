"""Mark a value as WordprocessingML the engine made itself, to be placed in a template as is.

The .docx environment escapes every value it prints, so data can never break the XML. The few
values that *are* XML (an appendix table, a signature image) derive from :class:`EngineMarkup`:
they say so through ``__html__``, and the sandbox lets a template print them and read nothing
in them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class EngineMarkup(ABC):
    """Ready-made XML of the engine (a table, an image): printed as is, with nothing a template can read."""

    __slots__ = ()

    @abstractmethod
    def __html__(self) -> str:
        """The XML to place where the tag is."""

    def __str__(self) -> str:
        return self.__html__()
