// Package sganhttp serves a semigan model's classifier over HTTP, for Go
// programs that want a prediction service without writing one:
//
//	srv, err := sganhttp.New(model, sganhttp.Options{ClassNames: names})
//	if err != nil { ... }
//	http.ListenAndServe("localhost:8080", srv)
//
// POST /predict takes one image as the request body (PNG, JPEG or GIF),
// or many as the files of a multipart/form-data body, resizes each to the
// model's input as the datasets loaders do, and answers with JSON: the
// class names, and for each image its name, predicted class, that class's
// probability and every class's probability. GET /healthz answers with
// the model's input shape and classes.
//
// Bad requests get a 4xx status and a JSON body {"error": "..."} with one
// line naming the image and the reason; the body, the number of images and
// each image's size are bounded (Options), predictions run through a pool
// of Options.Workers, and a panic in a handler is answered with a 500
// instead of ending the process. examples/serve runs it with timeouts and
// a graceful shutdown.
package sganhttp
