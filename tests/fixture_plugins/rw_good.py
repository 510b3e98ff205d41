"""A well-behaved plugin registering one of everything."""
from dataclasses import dataclass

from runwire import hookimpl
from runwire.run.agent import CustomEvent
from runwire.testing import ScriptedModel


@dataclass
class GoodEvent(CustomEvent):
    score: int = 0


def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


@hookimpl
def runwire_register_models(register):
    register("good", lambda model_id, **o: ScriptedModel(lambda request: f"good model {model_id}", id=model_id))


@hookimpl
def runwire_register_tools(register):
    register(shout)


@hookimpl
def runwire_register_storage(register):
    register("memdb", lambda url: {"url": url})


@hookimpl
def runwire_register_memory(register):
    register("noop", lambda **options: None)


@hookimpl
def runwire_register_event_types(register):
    register(GoodEvent)


@hookimpl
def runwire_register_commands(register):
    def configure(parser):
        parser.add_argument("--times", type=int, default=1)

    def run(args):
        print("hello from good " * args.times)
        return 0

    register("hello", configure, run, help="say hello")
