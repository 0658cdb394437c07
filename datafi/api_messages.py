"""Django REST framework's messages that an API client can receive, for our catalogue.

DRF ships an Indonesian catalogue of 46 of its 125 strings; these are the
others a client of datafi's API can be sent (field validation, parsing,
authentication, pagination). Listed here, makemessages puts them into
datafi/locale, whose catalogue Django reads before DRF's own, so `detail`
follows Accept-Language whichever layer refused the request. Never imported;
``gettext_noop`` only marks them.
"""

from django.utils.translation import gettext_noop

DRF_MESSAGES = [
    gettext_noop('"{input}" is not a valid path choice.'),
    gettext_noop("A valid number is required."),
    gettext_noop("Datetime value out of range."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop(
        'Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.'
    ),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("Invalid cursor"),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Invalid input."),
    gettext_noop("Invalid page."),
    gettext_noop("Invalid token header. No credentials provided."),
    gettext_noop("Invalid token header. Token string should not contain invalid characters."),
    gettext_noop("Invalid token header. Token string should not contain spaces."),
    gettext_noop("Invalid token."),
    gettext_noop("Invalid value."),
    gettext_noop("Malformed request."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("String value too large."),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop("The submitted data was not a file. Check the encoding type on the form."),
    gettext_noop("This dictionary may not be empty."),
    gettext_noop("This field must be unique."),
    gettext_noop("This list may not be empty."),
    gettext_noop("This value does not match the required pattern."),
    gettext_noop("A page number within the paginated result set."),
    gettext_noop("Number of results to return per page."),
    gettext_noop("The pagination cursor value."),
]
