"""Optional model phrasing of the engine's replies: the model words, the engine decides."""

from parley_negotiation.phrasing.check import Reason, check
from parley_negotiation.phrasing.draft import Draft, Phrased, Phraser, TemplatePhraser
from parley_negotiation.phrasing.llm import ModelPhraser, phraser_from_env

__all__ = [
    "Draft",
    "ModelPhraser",
    "Phrased",
    "Phraser",
    "Reason",
    "TemplatePhraser",
    "check",
    "phraser_from_env",
]
