package dynamo

// StopAfterLevelWrites makes s stop each chunk with err right after a
// level's write, as a worker killed at that point.
func StopAfterLevelWrites(s *ERPStock, err error) { s.afterLevel = func() error { return err } }
