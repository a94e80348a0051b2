// rethrow_as_error: the one place that knows every dependency's exception types.
#include "detail/guard.h"

#include <c10/util/Exception.h>

#include <new>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>
#include <system_error>

#include "wandb/errors.h"
#include "wandb/json.h"

namespace wandb::detail {
namespace {

std::string got(const char* call, const std::string& expected, const std::string& cause) {
  return std::string(call) + ": expected " + expected + ", got " + cause;
}

}  // namespace

bool is_allocation_failure(const std::string& message) {
  return message.find("can't allocate memory") != std::string::npos ||
         message.find("Failed to allocate") != std::string::npos ||
         message.find("Insufficient memory") != std::string::npos;
}

HandlerException::HandlerException(std::exception_ptr original) : original_(std::move(original)) {
  try {
    std::rethrow_exception(original_);
  } catch (const std::exception& e) {
    message_ = e.what();
  } catch (...) {
    message_ = "a warning handler threw an exception of an unknown type";
  }
}

void rethrow_as_error(const char* call) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const HandlerException& e) {
    std::rethrow_exception(e.original());
  } catch (const std::bad_alloc& e) {
    throw MemoryError(got(call, "enough memory for the input", std::string("an allocation failure (") +
                                                                  e.what() + ")"));
  } catch (const cv::Exception& e) {
    if (e.code == cv::Error::StsNoMem || is_allocation_failure(e.what())) {
      throw MemoryError(got(call, "enough memory for the input", "OpenCV: " + e.err));
    }
    throw ValueError(got(call, "data OpenCV can process", "OpenCV error: " + e.err));
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    if (is_allocation_failure(message)) {
      throw MemoryError(got(call, "enough memory for the input", "LibTorch: " + message));
    }
    throw ValueError(got(call, "a tensor LibTorch can read", "LibTorch error: " + message));
  } catch (const Json::type_error& e) {
    throw TypeError(got(call, "JSON of the documented types", e.what()));
  } catch (const Json::exception& e) {
    throw ValueError(got(call, "valid JSON", e.what()));
  } catch (const std::system_error& e) {
    throw IoError(got(call, "a successful system call", e.what()), e.code().value());
  } catch (const std::length_error& e) {
    throw MemoryError(got(call, "an input of a size this machine can hold", e.what()));
  } catch (const std::logic_error& e) {
    throw ValueError(got(call, "a valid argument", e.what()));
  } catch (const std::exception& e) {
    throw Error(got(call, "success", e.what()));
  } catch (...) {
    throw Error(got(call, "success", "an unknown exception"));
  }
}

}  // namespace wandb::detail
