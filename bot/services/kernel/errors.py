"""Domain errors. The one Bolt error handler turns these into clear ephemeral messages."""


class OkrError(Exception):
    """An expected failure whose message is written for the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(OkrError):
    pass


class NotFound(OkrError):
    pass


class InvalidInput(OkrError):
    """Bad input; `field` names the modal field (block id) so it can be shown in place."""

    def __init__(self, message: str, *, field: str | None = None, text: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.text = text  # the person's own text, kept so they can fix it


class FormErrors(InvalidInput):
    """Several field errors at once (field name -> message), shown in place in a modal."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors
