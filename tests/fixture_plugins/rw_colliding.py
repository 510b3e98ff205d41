from runwire import hookimpl


def shout(text: str) -> str:
    """A different shout."""
    return text.lower()


@hookimpl
def runwire_register_tools(register):
    register(shout)
