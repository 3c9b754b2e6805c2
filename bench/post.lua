-- wrk script: a fixed POST with a form body and an Authorization header.
-- usage: wrk ... -s bench/post.lua <url> -- '<form body>' '<Authorization header value>'
function init(args)
   wrk.method = "POST"
   wrk.body = args[1] or ""
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   if args[2] and args[2] ~= "" then
      wrk.headers["Authorization"] = args[2]
   end
end
