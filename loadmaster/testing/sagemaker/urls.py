from moto.sagemaker.urls import url_bases

from .responses import SageMakerResponse

url_paths = {
    "{0}/$": SageMakerResponse.dispatch,
}

__all__ = ["url_bases", "url_paths"]
