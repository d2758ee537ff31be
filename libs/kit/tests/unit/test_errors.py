"""The one mapping from domain errors to gRPC status codes."""

from __future__ import annotations

import grpc
import pytest

from parley_kit import errors

EXPECTED = {
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
}


@pytest.mark.parametrize(("error_class", "code"), list(EXPECTED.items()))
def test_each_domain_error_maps_to_its_status_code(
    error_class: type[errors.DomainError], code: grpc.StatusCode
) -> None:
    error = error_class("details for the caller")
    assert isinstance(error, errors.DomainError)
    assert errors.status_code_for(error) is code
    assert error.message == "details for the caller"


def test_the_mapping_covers_exactly_the_domain_errors() -> None:
    assert dict(errors.STATUS_CODES) == EXPECTED


def test_a_subclass_maps_like_its_nearest_mapped_parent() -> None:
    class SellerNotFound(errors.NotFound):
        pass

    assert errors.status_code_for(SellerNotFound("no seller s1")) is grpc.StatusCode.NOT_FOUND


def test_the_bare_base_class_is_unknown() -> None:
    assert errors.status_code_for(errors.DomainError("?")) is grpc.StatusCode.UNKNOWN


def test_the_mapping_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        errors.STATUS_CODES[errors.NotFound] = grpc.StatusCode.INTERNAL  # type: ignore[index]
