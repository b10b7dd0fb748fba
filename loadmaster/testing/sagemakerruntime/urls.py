from moto.sagemakerruntime.urls import url_bases

from .responses import SageMakerRuntimeResponse

response = SageMakerRuntimeResponse()

url_paths = {
    "{0}/endpoints/(?P<name>[^/]+)/async-invocations$": response.dispatch,
    "{0}/endpoints/(?P<name>[^/]+)/invocations$": response.dispatch,
}

__all__ = ["url_bases", "url_paths"]
